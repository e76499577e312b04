// Keyboard shortcuts of the staff pages. Nothing here is needed to work: every action is a
// plain link or form; the keys only reach them faster. Keys are ignored while typing in a field.
(function () {
  'use strict';
  var ORDER_KEY = 'ticketd.order';

  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll('tr.ticket-row'));
  }

  // the list remembers its order, so that a ticket's page can go to the next and previous one
  function rememberOrder() {
    var ids = rows().map(function (r) { return r.getAttribute('data-ticket'); }).filter(Boolean);
    if (ids.length) {
      try { sessionStorage.setItem(ORDER_KEY, JSON.stringify(ids)); } catch (e) { /* private mode: no next/previous */ }
    }
  }

  function neighbour(step) {
    var here = document.body.getAttribute('data-ticket');
    var ids;
    try { ids = JSON.parse(sessionStorage.getItem(ORDER_KEY) || '[]'); } catch (e) { ids = []; }
    var i = ids.indexOf(here);
    return i < 0 ? null : ids[i + step] || null;
  }

  var current = -1;
  function select(index) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (r, i) { r.classList.toggle('selected', i === current); });
    all[current].scrollIntoView({ block: 'nearest' });
  }

  function focus(id) {
    var el = document.getElementById(id);
    if (el) { el.focus(); el.scrollIntoView({ block: 'center' }); }
  }

  function click(id) {
    var el = document.getElementById(id);
    if (el) { el.click(); }
  }

  function toggleHelp() {
    var help = document.getElementById('shortcuts');
    if (help) { help.hidden = !help.hidden; }
  }

  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      var help = document.getElementById('shortcuts');
      if (help) { help.hidden = true; }
      if (typing(event)) { event.target.blur(); }
      return;
    }
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var onTicket = document.body.hasAttribute('data-ticket');
    var handled = true;
    switch (event.key) {
      case '?': toggleHelp(); break;
      case 'j': if (!onTicket) { select(current + 1); } else { handled = false; } break;
      case 'k': if (!onTicket) { select(current - 1); } else { handled = false; } break;
      case 'o':
      case 'Enter':
        if (!onTicket && current >= 0) { rows()[current].querySelector('a').click(); } else { handled = false; }
        break;
      case ']': case '[':
        var id = onTicket ? neighbour(event.key === ']' ? 1 : -1) : null;
        if (id) { window.location.href = '/tickets/' + id; } else { handled = false; }
        break;
      case 't': if (onTicket) { click('take'); } else { handled = false; } break;
      case 'r': if (onTicket) { focus('body'); } else { handled = false; } break;
      case 'n': if (onTicket) { focus('note-body'); } else { handled = false; } break;
      case 's': if (onTicket) { focus('status'); } else { handled = false; } break;
      case 'g': window.location.href = '/tickets'; break;
      case '/': focus('search'); break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });

  rememberOrder();
}());
