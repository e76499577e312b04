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

// Live updates and presence. The pages work without this: it only saves a reload.
// A ticket page tells the server every few seconds that it shows the ticket ("viewing"), or that
// its reply or note box holds text ("replying"), and says when it leaves; it shows who else is
// there. The ticket list shows the same per ticket. Both listen to /events (server-sent events from
// every node) and re-read what they show when a ticket changes. After a lost connection the
// browser reconnects (through the load balancer, to any node) and the server replays what was
// missed from the last position the page heard.
(function () {
  'use strict';
  var body = document.body;
  if (!body || body.getAttribute('data-live') !== 'on' || !window.EventSource || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var ticket = body.getAttribute('data-ticket');
  if (!ticket && !document.getElementById('ticket-list')) {
    return;
  }
  var csrfField = document.querySelector('input[name=csrf]');
  var csrf = csrfField ? csrfField.value : '';
  var client = randomId();
  // what the page heard, for a look from outside (the browser tests read it)
  var live = window.ticketdLive = { position: null, connected: false, opened: 0, heardAt: 0, applied: 0, appliedAt: 0 };

  function randomId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  // ---- presence -------------------------------------------------------------------------------
  var activity = null;

  function presenceForm(what) {
    var form = new URLSearchParams();
    form.set('csrf', csrf);
    form.set('client', client);
    form.set('activity', what);
    return form;
  }

  function writing() {
    return ['body', 'note-body'].some(function (id) {
      var box = document.getElementById(id);
      return box && (box.value.trim() !== '' || document.activeElement === box);
    });
  }

  function sayWhatIDo(force) {
    if (!ticket) { return; }
    var now = writing() ? 'replying' : 'viewing';
    if (now === activity && !force) { return; }
    activity = now;
    fetch('/tickets/' + ticket + '/presence', { method: 'POST', body: presenceForm(now), credentials: 'same-origin' })
      .catch(function () { /* the next beat tries again */ });
  }

  function describe(people, short) {
    return people.map(function (p) {
      return p.name + (p.activity === 'replying' ? (short ? ' replying' : ' is replying') : (short ? ' viewing' : ' is viewing'));
    }).join(', ');
  }

  function showPresence() {
    var spans = ticket ? [] : Array.prototype.slice.call(document.querySelectorAll('[data-presence]'));
    var ids = ticket ? [ticket] : spans.map(function (s) { return s.getAttribute('data-presence'); });
    if (!ids.length) { return; }
    var query = ids.map(function (id) { return 'ticket=' + encodeURIComponent(id); }).join('&');
    fetch('/presence?' + query, { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var here = data.tickets || {};
        if (ticket) {
          var line = document.getElementById('presence');
          if (line) { line.textContent = describe(here[ticket] || [], false); }
          return;
        }
        spans.forEach(function (s) { s.textContent = describe(here[s.getAttribute('data-presence')] || [], true); });
      })
      .catch(function () { /* shown again at the next change or beat */ });
  }

  // many pages may announce themselves at once: a list asks at most about once every half second
  var presenceSoon = null;
  function showPresenceSoon() {
    if (presenceSoon) { return; }
    presenceSoon = window.setTimeout(function () { presenceSoon = null; showPresence(); }, ticket ? 50 : 500);
  }

  if (ticket) {
    ['input', 'focusin', 'focusout'].forEach(function (type) {
      document.addEventListener(type, function () { sayWhatIDo(false); });
    });
    document.addEventListener('input', function (e) {
      var controls = document.getElementById('ticket-controls');
      if (controls && controls.contains(e.target)) { controls.setAttribute('data-touched', 'yes'); }
    });
    window.addEventListener('pagehide', function () {
      if (navigator.sendBeacon) {
        navigator.sendBeacon('/tickets/' + ticket + '/presence', presenceForm('left'));
      }
    });
    sayWhatIDo(true);
    window.setInterval(function () { sayWhatIDo(true); }, 5000);
  }
  showPresence();
  window.setInterval(showPresence, 15000);

  // ---- live updates ---------------------------------------------------------------------------
  var refreshing = null;

  function busy(list) {
    return list.querySelector('input[type=checkbox]:checked') || list.contains(document.activeElement);
  }

  function refresh() {
    if (refreshing) { return; }
    refreshing = window.setTimeout(function () {
      refreshing = null;
      fetch(window.location.href, { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var fresh = new DOMParser().parseFromString(html, 'text/html');
          var ids = ticket ? ['ticket-meta', 'ticket-controls', 'thread'] : ['ticket-list'];
          ids.forEach(function (id) {
            var now = document.getElementById(id);
            var next = fresh.getElementById(id);
            if (!now || !next) { return; }
            // the owner, group, status and priority choices show the ticket as it is now, unless
            // the agent is choosing (then theirs stay, and pressing a button sets what they chose)
            if (id === 'ticket-controls' && (now.contains(document.activeElement) || now.getAttribute('data-touched'))) {
              return;
            }
            if (!ticket && busy(now)) {
              var note = document.getElementById('live-status') || now.insertAdjacentElement('beforebegin', document.createElement('p'));
              note.id = 'live-status';
              note.textContent = 'Tickets changed; reload to see them (kept as is while you pick tickets).';
              return;
            }
            now.replaceWith(document.adoptNode(next));
          });
          live.applied += 1;
          live.appliedAt = Date.now();
          var status = document.getElementById('live-status');
          if (ticket && status) { status.textContent = 'Updated live at ' + new Date().toISOString().slice(11, 19) + ' UTC.'; }
          showPresence();
        })
        .catch(function () { /* the next event tries again */ });
    }, ticket ? 50 : 1000); // a busy list is re-read at most once a second
  }

  var failures = 0;

  function connect() {
    var url = '/events' + (live.position !== null ? '?since=' + encodeURIComponent(live.position) : '');
    var events = new EventSource(url);
    events.addEventListener('ready', function (e) {
      live.position = e.lastEventId;
      live.connected = true;
      live.opened += 1;
      failures = 0;
      if (live.opened > 1) { showPresence(); }
    });
    events.addEventListener('ticket', function (e) {
      live.position = e.lastEventId;
      var data = JSON.parse(e.data);
      if (!ticket || String(data.ticket) === ticket) {
        live.heardAt = Date.now();
        refresh();
      }
    });
    events.addEventListener('presence', function (e) {
      var data = JSON.parse(e.data);
      if (!ticket || data.ticket === 0 || String(data.ticket) === ticket) { showPresenceSoon(); }
    });
    events.addEventListener('reset', refresh);
    events.onerror = function () {
      live.connected = false;
      // the browser retries by itself after a lost connection, sending Last-Event-ID; after an
      // answer that is not a stream (a 429, a 502 of a proxy) it gives up, so a new one is opened
      // (a 429: too many of this person's pages listen already), later and later, up to a minute
      if (events.readyState === EventSource.CLOSED) {
        failures += 1;
        window.setTimeout(connect, Math.min(60000, 2000 * Math.pow(2, failures - 1)) + Math.random() * 2000);
      }
    };
  }
  connect();
}());
