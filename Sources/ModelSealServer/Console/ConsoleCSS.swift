/// The console's one style sheet, served at `/console/static/console.css` (the Content-Security-Policy
/// allows styles from the server only: no `style=` attribute and no inline `<style>` anywhere).
enum ConsoleCSS {
    static let text = """
        :root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --line: #d0d7de;
          --accent: #0a58ca; --bar: #2f6feb; --bad: #b42318; --ok: #1a7f37; --panel: #f6f8fa; }
        @media (prefers-color-scheme: dark) {
          :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9aa4ae; --line: #30363d; --accent: #6ea8fe;
            --bar: #58a6ff; --bad: #ff7b72; --ok: #3fb950; --panel: #161b22; }
        }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, select:focus, summary:focus { outline: 3px solid var(--accent);
          outline-offset: 2px; }
        .skip { position: absolute; left: -999px; }
        .skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; }
        header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; padding: 8px 16px;
          border-bottom: 1px solid var(--line); background: var(--panel); }
        header nav { display: flex; flex-wrap: wrap; gap: 4px 14px; flex: 1; }
        header form { margin: 0; }
        main { padding: 8px 16px 32px; max-width: 1100px; }
        h1 { font-size: 1.5rem; overflow-wrap: anywhere; }
        h2 { font-size: 1.15rem; margin-top: 1.5rem; }
        .table { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        code, .mono { font-family: ui-monospace, monospace; font-size: 0.9em; overflow-wrap: anywhere; }
        form.stack { display: grid; gap: 8px; max-width: 420px; }
        form.inline { display: inline; }
        form.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; }
        label { display: grid; gap: 2px; font-size: 0.9rem; color: var(--muted); }
        input, select, button { font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px;
          background: var(--bg); color: var(--fg); min-height: 2.5rem; }
        button { cursor: pointer; background: var(--panel); }
        button.danger { border-color: var(--bad); color: var(--bad); }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; }
        .card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; background: var(--panel); }
        .card .value { font-size: 1.6rem; font-weight: 600; }
        .notice { border-left: 4px solid var(--accent); padding: 8px 12px; background: var(--panel); }
        .error { border-left-color: var(--bad); }
        .ok { color: var(--ok); }
        .bad { color: var(--bad); }
        .muted { color: var(--muted); }
        .token { font-family: ui-monospace, monospace; font-size: 1.05rem; padding: 8px; border: 1px dashed var(--line);
          overflow-wrap: anywhere; }
        svg.chart { width: 100%; height: auto; max-width: 720px; }
        svg.chart .bar { fill: var(--bar); }
        svg.chart .axis { fill: var(--muted); font-size: 11px; }
        svg.chart .base { stroke: var(--line); stroke-width: 1; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
          white-space: nowrap; }
        .pager { margin-top: 12px; }
        """
}
