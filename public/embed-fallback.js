// A classic script (loaded before the embed's module script): in <iframe sandbox="allow-scripts">
// the page's origin is "null", so the browser loads its module scripts as cross-origin requests,
// and refuses them unless the server sends Access-Control-Allow-Origin: * (public/_headers). A
// classic script needs no such header, so this one is still here to say why the figure cannot
// start, instead of leaving the shell's "it starts when you scroll to it" for ever.
(function () {
  var site = new URL(document.currentScript.src).origin;
  addEventListener(
    'error',
    function (event) {
      var script = event.target;
      if (!(script instanceof HTMLScriptElement) || script.type !== 'module') return;
      var root = document.querySelector('[data-widget]');
      var status = document.querySelector('[data-widget-status]');
      if (root) root.dataset.status = 'error';
      if (status) {
        status.textContent =
          'This figure cannot start here: ' + site + ' did not let this embedded frame load its script. ' +
          'The server must send the header Access-Control-Allow-Origin: * (see public/_headers).';
      }
    },
    true,
  );
})();
