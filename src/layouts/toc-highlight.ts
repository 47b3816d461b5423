// Marks the table-of-contents entry of the section being read (aria-current="location").
const tocLinks = [...document.querySelectorAll<HTMLAnchorElement>('.toc--sidebar a[href^="#"]')];
const sections = tocLinks
  .map((link) => document.getElementById(decodeURIComponent(link.hash.slice(1))))
  .filter((heading): heading is HTMLElement => heading !== null);

function markCurrent(id: string) {
  for (const link of tocLinks) {
    if (link.hash.slice(1) === id) link.setAttribute('aria-current', 'location');
    else link.removeAttribute('aria-current');
  }
}

if (sections.length > 0) {
  // A heading counts as "being read" once it crosses the top fifth of the viewport.
  const observer = new IntersectionObserver(
    (entries) => {
      const visible = entries.filter((e) => e.isIntersecting).sort((a, b) => a.boundingClientRect.top - b.boundingClientRect.top);
      if (visible.length > 0) markCurrent(visible[0].target.id);
    },
    { rootMargin: '0px 0px -80% 0px' },
  );
  for (const section of sections) observer.observe(section);
}
