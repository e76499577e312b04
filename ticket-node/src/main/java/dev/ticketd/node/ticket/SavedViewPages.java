package dev.ticketd.node.ticket;

import dev.ticketd.node.web.Pages;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

/** Browser handlers for saved views: the list page's "Save this view as …" form and each view's delete button. */
public final class SavedViewPages {

    private final SavedViews views;

    public SavedViewPages(SavedViews views) {
        this.views = views;
    }

    /** {@code POST /tickets/views} with {@code name} and {@code query} (the list's filter and sort): back to the view, saved. */
    public void save(Context ctx) {
        SavedViews.Saved saved = views.save(Pages.user(ctx).viewer(), ctx.formParam("name"), ctx.formParam("query"), null);
        String q = saved.view().listQuery();
        ctx.redirect("/tickets?" + (q.isEmpty() ? "" : q + "&") + "viewSaved=" + saved.view().id(), HttpStatus.SEE_OTHER);
    }

    /** {@code POST /tickets/views/{id}/delete}: the view is gone; back to the list. A view of someone else is 404. */
    public void delete(Context ctx) {
        views.delete(Pages.user(ctx).viewer(), ctx.pathParamAsClass("id", Long.class).get());
        ctx.redirect("/tickets?viewDeleted=1", HttpStatus.SEE_OTHER);
    }
}
