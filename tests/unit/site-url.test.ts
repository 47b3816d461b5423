// src/siteUrl.mjs: the site's public URL from SITE_URL.
import { expect, test } from 'vitest';
import { DEFAULT_SITE_URL, siteUrl } from '../../src/siteUrl.mjs';

test('siteUrl is where npm start serves when SITE_URL is unset or empty', () => {
  expect(siteUrl(undefined)).toBe('http://localhost:4321');
  expect(siteUrl('')).toBe(DEFAULT_SITE_URL);
});

test('siteUrl gives the origin of an http(s) SITE_URL, with or without a trailing slash', () => {
  expect(siteUrl('https://glass-llama.example.org')).toBe('https://glass-llama.example.org');
  expect(siteUrl('https://Glass-Llama.example.org:8443/')).toBe('https://glass-llama.example.org:8443');
});

test('siteUrl refuses what cannot be the site root, saying what it got', () => {
  expect(() => siteUrl('glass-llama.example.org')).toThrow('SITE_URL must be an absolute http(s) URL such as https://glass-llama.example.org, got "glass-llama.example.org".');
  expect(() => siteUrl('ftp://example.org')).toThrow(/^SITE_URL must be the site's origin .* got "ftp:\/\/example.org"\.$/);
  expect(() => siteUrl('https://example.org/notebook/')).toThrow(/got "https:\/\/example.org\/notebook\/"/);
});
