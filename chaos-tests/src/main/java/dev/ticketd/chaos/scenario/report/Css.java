package dev.ticketd.chaos.scenario.report;

/** The page's only style sheet, inlined so the report is one file. */
final class Css {

    private Css() {
    }

    static final String STYLE = """
            :root { --pass: #1a7f37; --fail: #cf222e; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; }
            * { box-sizing: border-box; }
            body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink);
                   margin: 0 auto; padding: 16px 24px 40px; max-width: 1440px; }
            h1 { margin: 0; font-size: 26px; }
            h2 { margin: 32px 0 10px; font-size: 20px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
            h3 { margin: 22px 0 6px; font-size: 16px; display: flex; align-items: center; gap: 8px; }
            .verdict { display: flex; align-items: center; gap: 20px; padding: 14px 20px; border-radius: 8px; color: #fff; }
            .verdict.pass { background: var(--pass); }
            .verdict.fail { background: var(--fail); }
            .verdict .badge { font-size: 44px; font-weight: 800; letter-spacing: 2px; line-height: 1;
                              border: 3px solid #fff; border-radius: 8px; padding: 6px 16px; }
            .verdict p { margin: 4px 0 0; }
            .verdict .meta { opacity: .92; }
            footer.verdict { margin-top: 32px; font-size: 16px; }
            .numbers { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; margin-top: 16px; }
            .card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; background: #f6f8fa; }
            .card .value { font-size: 22px; font-weight: 700; font-variant-numeric: tabular-nums; }
            .card .label { color: var(--muted); font-size: 12px; }
            .card.wide { grid-column: span 2; }
            .card.bad { border-color: var(--fail); background: #ffebe9; }
            .card.bad .value { color: var(--fail); }
            .legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; margin-bottom: 6px; }
            .legend .item { display: inline-flex; align-items: center; gap: 5px; }
            .legend .sep { width: 1px; background: var(--line); }
            .legend .cross { color: var(--fail); font-weight: 700; }
            .sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; }
            svg.timeline { width: 100%; height: auto; display: block; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
            svg.timeline text { font-size: 11px; fill: var(--ink); }
            svg.timeline text.section { font-weight: 600; }
            svg.timeline text.lane, svg.timeline text.tick { fill: var(--muted); }
            svg.timeline text.lost { fill: var(--fail); font-weight: 600; }
            svg.timeline text.bar { fill: #fff; font-size: 10px; pointer-events: none; }
            svg.timeline .shade { opacity: .10; }
            svg.timeline .band { stroke: #fff; stroke-width: .5; }
            svg.timeline .band.unconfirmed { stroke: var(--fail); stroke-width: 2; }
            svg.timeline .seg { stroke: #fff; stroke-width: .5; }
            svg.timeline .spurious { fill: var(--fail); }
            svg.timeline .grid { stroke: #e4e8ec; stroke-width: 1; }
            svg.timeline .hgrid { stroke: #e4e8ec; stroke-dasharray: 3 3; }
            svg.timeline .axis line { stroke: var(--muted); }
            svg.timeline .axis text { fill: var(--muted); }
            svg.timeline .dots { fill: none; stroke-width: 3; stroke-linecap: round; opacity: .55; }
            svg.timeline .dots.more { stroke-width: 5; opacity: .9; }
            svg.timeline .wrong { stroke: #fff; stroke-width: 1.2; }
            svg.timeline .slow { fill: none; stroke: #1f2328; stroke-width: 1.2; }
            svg.timeline .cross { stroke: var(--fail); stroke-width: 2.2; fill: none; }
            .caption { color: var(--muted); font-size: 12px; margin: 6px 0 0; }
            table { border-collapse: collapse; margin: 6px 0; font-variant-numeric: tabular-nums; }
            th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
            th { background: #f6f8fa; font-weight: 600; font-size: 12px; }
            td.n { text-align: right; white-space: nowrap; }
            td.detail { white-space: pre-wrap; word-break: break-word; max-width: 640px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
            tr.bad td { background: #ffebe9; }
            tr.bad strong, p.bad { color: var(--fail); }
            table.faults { width: 100%; }
            table.checks td:nth-child(2) { white-space: nowrap; }
            tr.ok td:nth-child(2) { color: var(--pass); font-weight: 600; }
            details { margin-top: 12px; }
            summary { cursor: pointer; color: var(--muted); }
            """;
}
