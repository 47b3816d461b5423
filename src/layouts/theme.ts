// Light and dark themes. With no stored choice the page follows the system setting
// (prefers-color-scheme in global.css); the header button stores an explicit choice.

/** localStorage key of the reader's explicit choice: 'light' | 'dark'. */
export const THEME_STORAGE_KEY = 'glass-llama-theme';

/**
 * Runs inline in <head> before first paint, so a stored dark choice never flashes light.
 * Kept as a string because it is inlined verbatim and allowed by its sha256 in the CSP.
 */
export const applyStoredThemeScript =
  `try{var t=localStorage.getItem(${JSON.stringify(THEME_STORAGE_KEY)});` +
  `if(t==="light"||t==="dark")document.documentElement.dataset.theme=t}catch(e){}`;
