import API
import Hummingbird

/// The console's stylesheet and script, served by the binary (no build step, no inline script: the
/// Content-Security-Policy allows only these two from `self`).
extension Console {
    func addAssets(to admin: RouterGroup<FileRequestContext>) {
        admin.get("static/console.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(string: ConsoleAssets.stylesheet)))
        }
        admin.get("static/console.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(string: ConsoleAssets.script)))
        }
    }
}

/// The hand-written stylesheet and script.
enum ConsoleAssets {
    static let stylesheet = """
    :root { --fg: #1d2430; --muted: #5b6577; --line: #d8dde6; --bg: #f7f8fa; --accent: #2456c9; --bad: #b42318; --ok: #137333; --warn: #9a6700; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
    header { display: flex; gap: 1.2rem; align-items: center; padding: .6rem 1.2rem; background: #fff; border-bottom: 1px solid var(--line); }
    header .brand { font-weight: 700; color: var(--fg); text-decoration: none; }
    header nav a { margin-right: .9rem; color: var(--muted); text-decoration: none; }
    header nav a.on { color: var(--accent); font-weight: 600; }
    header .who { margin-left: auto; color: var(--muted); }
    main { padding: 1rem 1.2rem; }
    h1 { font-size: 1.3rem; margin: .2rem 0 .8rem; } h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
    table.grid { border-collapse: collapse; background: #fff; width: 100%; }
    table.grid th, table.grid td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
    table.grid th { background: #eef1f5; font-weight: 600; }
    td.err { color: var(--bad); max-width: 28rem; overflow-wrap: anywhere; }
    .state.completed { color: var(--ok); } .state.discarded, .state.cancelled { color: var(--bad); } .state.running { color: var(--accent); }
    .badge { display: inline-block; padding: 0 .4rem; border-radius: .6rem; background: #e4e8ef; font-size: .8rem; }
    .badge.paused { background: #fff0c2; color: var(--warn); } .badge.ro { background: #fde7e7; color: var(--bad); }
    form.inline { display: inline; } .filters label { margin-right: .6rem; }
    .notice { padding: .5rem .8rem; background: #e7f3ea; border: 1px solid #b7dcc0; }
    .live { color: var(--muted); } pre { background: #fff; border: 1px solid var(--line); padding: .6rem; overflow: auto; }
    dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; } dl.facts dt { color: var(--muted); }
    button { cursor: pointer; }
    """

    static let script = """
    // The console's only script: live queue depths on the overview (server-sent events).
    (function () {
      'use strict';
      var live = document.getElementById('live');
      if (!live || !window.EventSource) { return; }
      var status = document.getElementById('live-state'), at = document.getElementById('live-at');
      var source = new EventSource(live.getAttribute('data-live'));
      source.onopen = function () { status.textContent = 'connected'; };
      source.onerror = function () { status.textContent = 'reconnecting'; };
      source.addEventListener('queues', function (event) {
        var data = JSON.parse(event.data);
        data.queues.forEach(function (q) {
          ['available', 'scheduled', 'running', 'retryable', 'discarded', 'oldest'].forEach(function (s) {
            var cell = document.querySelector('td[data-q="' + CSS.escape(q.name) + '"][data-s="' + s + '"]');
            if (cell) { cell.textContent = String(q[s]); }
          });
        });
        at.textContent = data.at;
        status.textContent = 'connected';
      });
    })();
    """
}
