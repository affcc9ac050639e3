# Varnish (Debian 12's 7.1) in front of looplive's origin. Start it with, e.g.:
#   varnishd -a :80 -f /etc/varnish/looplive.vcl -s malloc,1G
# and point it at the origin below. See docs/cdn.md for why each line is here.
vcl 4.1;

import std;

backend looplive {
    .host = "127.0.0.1";
    .port = "8080";
    # A blocking playlist reload or a preload-hinted part is held by the origin
    # until the part exists (three target durations at most: 6 s).
    .first_byte_timeout = 10s;
}

sub vcl_recv {
    if (req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS") {
        return (synth(405));
    }
    # Nothing per viewer reaches the cache key: every viewer waiting for the
    # same part asks the same URL, and one request serves them all.
    unset req.http.Cookie;
    unset req.http.Authorization;
    # Players must send _HLS_msn, _HLS_part and _HLS_skip in that order; a
    # sorted query makes any order one object anyway.
    set req.url = std.querysort(req.url);
    return (hash);
}

sub vcl_backend_response {
    # A live playlist or MPD served past its max-age costs a player a reload
    # against the live edge: no grace. Segments and parts are immutable.
    if (bereq.url ~ "\.(m3u8|mpd)(\?|$)") {
        set beresp.grace = 0s;
    }
    # 404 (a segment asked for a moment early), 400 and 503 come with
    # no-store: never kept, and the next request goes to the origin at once.
    if (beresp.status >= 400) {
        set beresp.uncacheable = true;
        set beresp.ttl = 1s;
        return (deliver);
    }
}
