package dev.ticketd.node.web;

import io.javalin.http.Context;

/** The one small stylesheet; served from code so the CSP can stay at style-src 'self'. */
final class Stylesheet {

    private static final String CSS = """
            body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
            header { background: #1d2430; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1rem; align-items: center; }
            header a { color: #fff; text-decoration: none; font-weight: 600; }
            header form { margin-left: auto; }
            header form.search ~ form { margin-left: 0; }
            header input[type=search] { width: 16rem; }
            main { max-width: 64rem; margin: 1.2rem auto; padding: 0 1rem; }
            h1, h2, .meta, .notice, .error { overflow-wrap: anywhere; }
            table { border-collapse: collapse; width: 100%; background: #fff; }
            th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid #e3e6ea; vertical-align: top;
                     overflow-wrap: anywhere; word-break: break-word; min-width: 0; }
            table.tickets, table.quarantine { table-layout: fixed; }
            col.number { width: 8%; } col.requester { width: 13%; } col.status { width: 8%; } col.count { width: 9%; } col.created { width: 10%; }
            col.priority { width: 8%; } col.group { width: 9%; } col.owner { width: 11%; }
            col.id { width: 6%; } col.mailbox { width: 10%; } col.received { width: 10%; } col.from { width: 13%; }
            table.quarantine col.subject { width: 15%; } col.size { width: 8%; } col.actions { width: 10%; }
            td.actions form { display: block; margin: 0 0 .3rem; } td.actions button { width: 100%; }
            .technical { font-size: 12px; color: #5b6472; margin-top: .3rem; }
            .technical code { font-family: ui-monospace, monospace; white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-all; }
            .filters a { margin-right: .6rem; } .filters a.active { font-weight: 700; }
            form.filters { display: flex; flex-wrap: wrap; align-items: center; gap: .3rem .9rem; margin: .3rem 0; }
            form.filters label { display: inline; margin: 0; } .ticket-actions { display: flex; flex-wrap: wrap; gap: .4rem; }
            .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
            col.pick { width: 3%; } table.tickets th { font-size: 13px; overflow-wrap: normal; word-break: normal; } tr.selected { outline: 2px solid #3b6fd8; outline-offset: -2px; }
            #shortcuts { position: fixed; right: 1rem; bottom: 1rem; background: #fff; border: 1px solid #c8cdd5; padding: .6rem 1rem;
                         box-shadow: 0 2px 8px rgba(0,0,0,.15); font-size: 13px; } #shortcuts kbd { font-weight: 700; }
            .hint { color: #5b6472; font-size: 12px; }
            a.tag { font-size: 12px; background: #e9edf3; border-radius: 3px; padding: 0 .35rem; text-decoration: none; color: #1d2430; }
            form.status-form { display: inline-flex; flex-wrap: wrap; align-items: center; gap: .3rem; margin: 0 1.2rem .5rem 0; }
            form.status-form label { display: inline; margin: 0; }
            .views { display: flex; flex-wrap: wrap; gap: .3rem .9rem; margin: .4rem 0 .8rem; }
            .views a.active { font-weight: 700; } .views .count { color: #5b6472; font-size: 12px; }
            .saved-views { margin-top: -.4rem; } .saved-view { display: inline-flex; align-items: center; gap: .2rem; }
            form.delete-view { display: inline; margin: 0; } form.delete-view button { padding: 0 .3rem; font-size: 12px; line-height: 1.2; }
            .views a.broken { color: #b3261e; }
            .priority-urgent { color: #b3261e; font-weight: 700; } .priority-high { color: #b3261e; }
            .sla-overdue { color: #b3261e; font-weight: 700; } .sla-due_soon { color: #8a5300; font-weight: 600; } .sla-kind { color: #555; }
            .message { background: #fff; border: 1px solid #e3e6ea; border-radius: 4px; margin: .8rem 0; padding: .6rem .9rem; }
            .message.outbound { border-left: 4px solid #2f6fde; } .message.note { border-left: 4px solid #d9a400; }
            .message.inbound { border-left: 4px solid #4a9a5b; }
            .meta { color: #5b6472; font-size: 13px; }
            pre.body { white-space: pre-wrap; overflow-wrap: anywhere; font: inherit; margin: .4rem 0 0; }
            div.body.html { margin: .4rem 0 0; overflow-x: auto; overflow-wrap: anywhere; }
            div.body.html img { max-width: 100%; height: auto; }
            ul.attachments { margin: .4rem 0 0; padding-left: 1.2rem; font-size: 14px; }
            textarea { width: 100%; min-height: 8rem; box-sizing: border-box; font: inherit; }
            .error { background: #fde8e8; border: 1px solid #e0a0a0; padding: .5rem .8rem; }
            .notice { background: #e8f4fd; border: 1px solid #a0c4e0; padding: .5rem .8rem; }
            .notice.alert { background: #fdecea; border-color: #d9534f; font-weight: bold; }
            .notice.alert p { margin: .2rem 0; }
            .presence { color: #8a4b00; font-weight: 600; }
            p.presence:empty { display: none; }
            span.presence { font-size: 12px; }
            label { display: block; margin: .5rem 0 .2rem; }
            """;

    private Stylesheet() {
    }

    static void serve(Context ctx) {
        ctx.header("Cache-Control", "public, max-age=3600");
        ctx.contentType("text/css; charset=utf-8").result(CSS);
    }
}
