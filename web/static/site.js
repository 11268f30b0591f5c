// vlogd's one script, an enhancement only: every page works without it.
// It shows each <time datetime> in the reader's own time zone, as "2 hours
// ago" when recent, keeping the exact local time in its title.
(function () {
  "use strict";
  var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  var rel = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" }) : null;
  var full = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  function ago(date) {
    var secs = (date.getTime() - Date.now()) / 1000;
    if (!rel || Math.abs(secs) >= 30 * 86400) {
      return null;
    }
    if (Math.abs(secs) < 60) {
      return "just now";
    }
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(secs) >= units[i][1]) {
        return rel.format(Math.round(secs / units[i][1]), units[i][0]);
      }
    }
    return null;
  }
  function localize() {
    var times = document.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var t = times[i], d = new Date(t.getAttribute("datetime"));
      if (isNaN(d.getTime())) {
        continue;
      }
      var exact = full.format(d);
      t.title = exact;
      t.textContent = ago(d) || exact;
    }
  }
  localize();
  setInterval(localize, 60000);
})();
