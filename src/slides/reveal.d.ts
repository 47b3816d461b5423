// The part of reveal.js 5's API that the deck uses (the package ships no types).
declare module 'reveal.js' {
  export interface RevealIndices {
    h: number;
    v: number;
    f?: number;
  }
  export interface RevealOptions {
    [option: string]: unknown;
  }
  export default class Reveal {
    constructor(element: HTMLElement, options?: RevealOptions);
    initialize(): Promise<void>;
    on(event: string, listener: (event: Event) => void): void;
    slide(h: number, v?: number, f?: number): void;
    next(): void;
    prev(): void;
    getIndices(): RevealIndices;
    getCurrentSlide(): HTMLElement;
    getTotalSlides(): number;
    getSlides(): HTMLElement[];
    isPrintView(): boolean;
    /** Whether the deck shows as one scrolling page (reveal.js does below scrollActivationWidth, 435 px). */
    isScrollView(): boolean;
  }
}

interface Window {
  /** The deck page's reveal.js instance (src/slides/deck.ts). */
  deck?: import('reveal.js').default;
}
