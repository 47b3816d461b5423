// Build time only (node:crypto): the CSP hashes of the <style> elements reveal.js writes in print mode.
import { inlineHash } from '../layouts/styleAttributeHashes';
import { revealPrintStyles } from './config';

export function revealPrintStyleHashes(): `sha256-${string}`[] {
  return revealPrintStyles().map(inlineHash);
}
