#!/usr/bin/env bash
# test_html: the HTML page of a real connection, opened in headless Chromium.
# One IPv4 loopback connection where the client closes first (tcpdemo pair
# --scenario client-close, port 21201), traced by synscope with -f html and
# captured by tcpdump on lo. Asserts:
#  - the page is one whole document with one connection, and its own count of
#    segments equals the packets tcpdump captured (on lo, once each);
#  - nothing in it would make the browser fetch anything: no URL, no src= or
#    href=, no url() or @import; no kernel-address-like text or number;
#  - Chromium, in a network namespace of its own (no network at all), takes a
#    screenshot that is not blank: many colours, enough ink, and pixels of the
#    colours the SYN, data/ACK and FIN arrows are drawn in (userspace/export/html.c);
#  - Chromium lays the page out: a probe script added to a copy of the page
#    counts, per connection, the arrows whose line and head have a size on
#    screen and a stroke, and the count equals tcpdump's packet count; and
#    pointing at the first arrow shows the client's SYN in the details box;
#  - crossing arrows (the simultaneous-close and simultaneous-open classroom
#    scenarios, whose segments cross on the wire): in Chromium's layout no
#    two segment labels of a connection overlap.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21201
PAGE=$WORKDIR/x.html
PNG_CHECK="$ROOT/tests/integration/png_check.py"

need_root
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
[ -n "$CHROMIUM" ] || abort "chromium not installed (scripts/install-deps.sh installs it)"
command -v unshare >/dev/null || abort "unshare not installed"

# count_results NAME COMMAND...: runs a checker that prints "ok ..."/"FAIL ..."
# lines and counts them as this test's results; a crash counts one failure.
count_results() {
	local name=$1 out line rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "$name/${line#ok }" ;;
		"FAIL "*) fail "$name" "${line#FAIL }" ;;
		*) [ -n "$line" ] && echo "# $line" ;;
		esac
	done <<<"$out"
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' <<<"$out"; then
		fail "$name" "exited $rc"
	fi
}

# chrome ARGS... URL: headless Chromium without any network (its own empty
# network namespace), a throwaway profile, never more than 90 s.
chrome() {
	timeout 90 unshare --net "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--no-first-run --hide-scrollbars --user-data-dir="$WORKDIR/chrome" "$@" \
		2>>"$WORKDIR/chromium.err"
}

TRACE_OUT=(-f html -o "$PAGE")
run_traced_scenario "$PORT" client-close --family 4

# ---- the file itself ----
[ -s "$PAGE" ] || abort "synscope wrote no page"
packets=$(tcpdump -nn -r "$WORKDIR/capture.pcap" 2>/dev/null | grep -c ' Flags \[')
[ "$packets" -ge 10 ] || fail capture "only $packets packets captured"
expect_eq doctype "<!DOCTYPE html>" "$(head -n 1 "$PAGE")"
expect_eq page-end "</html>" "$(tail -n 1 "$PAGE")"
expect_eq connections 1 "$(grep -c '<section class="conn"' "$PAGE")"
expect_eq drawings 1 "$(grep -c '<svg class="ladder"' "$PAGE")"
expect_eq segments-vs-tcpdump "$packets" \
	"$(sed -n 's/.*<section class="conn" [^>]*data-segments="\([0-9]*\)".*/\1/p' "$PAGE")"
# kernel addresses as check_trace.py looks for them: ffff + 12 hex digits, or
# 19-20 digit decimal numbers (all of them >= 0xffff800000000000 are 19+ digits)
KADDR_HEX='(^|[^0-9a-f])(0x)?ffff[0-9a-f]{12}([^0-9a-f]|$)'
KADDR_DEC='(^|[^0-9.])[0-9]{19,20}([^0-9.]|$)'
expect_eq no-kernel-addresses 0 "$(grep -Eci "$KADDR_HEX|$KADDR_DEC" "$PAGE")"
expect_eq no-urls 0 "$(grep -c '://' "$PAGE")"
expect_eq no-fetches 0 "$(grep -Eci '(src|href|srcset|action)=|url\(|@import' "$PAGE")"

# ---- a screenshot ----
chrome --window-size=1400,2600 --screenshot="$WORKDIR/page.png" "file://$PAGE" >/dev/null
if [ -s "$WORKDIR/page.png" ]; then
	pass screenshot
	# 138a36 SYN, 1f3f8f data/ACK, c76b00 FIN: drawn 3 px wide, hundreds of px long
	count_results png python3 "$PNG_CHECK" "$WORKDIR/page.png" --min-colours 16 --min-ink 2 \
		--colour 138a36:500 --colour 1f3f8f:1500 --colour c76b00:500
else
	fail screenshot "no PNG: $(last_line "$WORKDIR/chromium.err")"
fi

# ---- what Chromium laid out ----
cat >"$WORKDIR/probe.js" <<'EOF'
<script>
(function () {
  /* per connection: "ID:DRAWN/ARROWS:shown|hidden" */
  var out = [];
  document.querySelectorAll('section.conn').forEach(function (s) {
    var svg = s.querySelector('svg').getBoundingClientRect(), drawn = 0, all = 0;
    s.querySelectorAll('g.seg').forEach(function (g) {
      var line = g.querySelector('line'), head = g.querySelector('polygon');
      var lr = line.getBoundingClientRect(), hr = head.getBoundingClientRect();
      var st = getComputedStyle(line);
      all++;
      if (lr.width > 100 && hr.width > 0 && hr.height > 0 && st.stroke !== 'none' &&
          parseFloat(st.strokeWidth) > 0 && lr.left >= svg.left && lr.right <= svg.right)
        drawn++;
    });
    out.push(s.dataset.conn + ':' + drawn + '/' + all + ':' +
             (svg.width > 0 && svg.height > 0 ? 'shown' : 'hidden'));
  });
  document.body.setAttribute('data-probe', out.join(' '));
  /* the page's hover script: pointing at the first arrow shows its details */
  var first = document.querySelector('g.seg line');
  first.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
  var box = document.getElementById('details');
  document.body.setAttribute('data-hover', box.hidden ? 'hidden' : box.textContent.split('\n')[0]);
})();
</script>
EOF
# probed PAGE PROBE DOM: PROBE (a <script>) added to a copy of PAGE just
# before </body>, the page laid out by Chromium, its DOM afterwards into DOM.
probed() {
	awk -v probe="$2" '$0 == "</body>" { while ((getline l < probe) > 0) print l } { print }' \
		"$1" >"$1.probe.html"
	chrome --dump-dom "file://$1.probe.html" >"$3"
}
probed "$PAGE" "$WORKDIR/probe.js" "$WORKDIR/dom.html"
expect_eq arrows-drawn "1:$packets/$packets:shown" \
	"$(sed -n 's/.*data-probe="\([^"]*\)".*/\1/p' "$WORKDIR/dom.html")"
hover=$(sed -n 's/.*data-hover="\([^"]*\)".*/\1/p' "$WORKDIR/dom.html" \
	| sed 's/&gt;/>/g; s/&lt;/</g; s/&amp;/\&/g')
if [[ $hover =~ ^client\ -\>\ server:\ SYN\ seq=[0-9]+\ win=[0-9]+$ ]]; then
	pass hover-details
else
	fail hover-details "want 'client -> server: SYN seq=N win=N', got '$hover'"
fi

# ---- crossing arrows: no label on top of another ----
cat >"$WORKDIR/labels.js" <<'EOF'
<script>
(function () {
  /* per connection: "ID:OVERLAPS/LABELS", labels as Chromium laid them out */
  var out = [];
  document.querySelectorAll('section.conn').forEach(function (s) {
    var r = [], bad = 0;
    s.querySelectorAll('g.seg > text').forEach(function (t) { r.push(t.getBoundingClientRect()); });
    for (var i = 0; i < r.length; i++)
      for (var j = i + 1; j < r.length; j++)
        if (Math.min(r[i].right, r[j].right) - Math.max(r[i].left, r[j].left) > 0.5 &&
            Math.min(r[i].bottom, r[j].bottom) - Math.max(r[i].top, r[j].top) > 0.5)
          bad++;
    out.push(s.dataset.conn + ':' + bad + '/' + r.length);
  });
  document.body.setAttribute('data-labels', out.join(' '));
})();
</script>
EOF
port=21210
for name in simultaneous-close simultaneous-open; do
	page=$WORKDIR/$name.html
	port=$((port + 40)) # the scenario retries on the ports after its own
	if ! timeout "$TIMEOUT" "$SYNSCOPE" -f html --relative-seq -o "$page" -- \
		"$ROOT/scripts/scenario.sh" "$name" --prefix scn-h --port "$port" \
		>"$WORKDIR/$name.out" 2>&1; then
		fail "$name/run" "$(tail -n 2 "$WORKDIR/$name.out" | tr '\n' ' ')"
		continue
	fi
	probed "$page" "$WORKDIR/labels.js" "$WORKDIR/$name.dom"
	labels=$(sed -n 's/.*data-labels="\([^"]*\)".*/\1/p' "$WORKDIR/$name.dom")
	if [ -n "$labels" ] && ! grep -qE '(^| )[0-9]+:[1-9]' <<<"$labels"; then
		pass "$name/labels-apart"
	else
		fail "$name/labels-apart" "overlapping label pairs/labels per connection: '$labels'"
	fi
done

finish
