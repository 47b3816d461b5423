// The header's theme button: switches between light and dark and remembers the choice.
import { THEME_STORAGE_KEY } from './theme';

type Theme = 'light' | 'dark';

const root = document.documentElement;
const systemDark = matchMedia('(prefers-color-scheme: dark)');

function currentTheme(): Theme {
  const chosen = root.dataset.theme;
  if (chosen === 'light' || chosen === 'dark') return chosen;
  return systemDark.matches ? 'dark' : 'light';
}

for (const button of document.querySelectorAll<HTMLButtonElement>('[data-theme-toggle]')) {
  const describe = () => {
    const dark = currentTheme() === 'dark';
    button.setAttribute('aria-pressed', String(dark));
    button.title = dark ? 'Dark theme is on' : 'Dark theme is off';
  };
  button.addEventListener('click', () => {
    const next: Theme = currentTheme() === 'dark' ? 'light' : 'dark';
    root.dataset.theme = next;
    try {
      localStorage.setItem(THEME_STORAGE_KEY, next);
    } catch {
      // Storage can be disabled (private mode); the choice then lasts for this page only.
    }
    describe();
  });
  systemDark.addEventListener('change', describe);
  describe();
}
