/*
 * The zone and line editor of the edge-ai-trigger dialog: a frame from the running flow (the
 * node's latest, downscaled by the runtime) with the zones and counting lines drawn over it.
 * Click to add the corners of a zone (double-click or Finish closes it) or the two ends of a
 * line; every item's points can also be typed. Points are kept as fractions of the frame
 * (0..1), or in pixels when the node's units say so. Defines one global, EdgeAiZones.
 */
(function () {
    "use strict";
    if (window.EdgeAiZones) { return; }

    var COLOURS = ["#ff3838", "#2c99a8", "#ffb21d", "#8438ff", "#48f90a", "#ff37c7"];

    function formatPoints(points) {
        return points.map(function (p) { return round(p[0]) + "," + round(p[1]); }).join(" ");
    }
    function round(n) { return Math.round(n * 1000) / 1000; }

    /** "x,y x,y ..." as [[x, y], ...], or null when anything is not a number pair. */
    function parsePoints(text) {
        var parts = String(text).trim().split(/\s+/).filter(Boolean);
        var points = parts.map(function (part) {
            var xy = part.split(",");
            return xy.length === 2 ? [Number(xy[0]), Number(xy[1])] : [NaN, NaN];
        });
        return points.every(function (p) { return isFinite(p[0]) && isFinite(p[1]); }) ? points : null;
    }

    /** Whether the zones and lines are well formed for the units (used by the node's validator). */
    function valid(zones, lines, units) {
        var names = {};
        var inRange = function (p) { return units === "pixels" || (p[0] >= 0 && p[0] <= 1 && p[1] >= 0 && p[1] <= 1); };
        var named = function (item) {
            if (!item || typeof item.name !== "string" || !item.name.trim() || names[item.name]) { return false; }
            names[item.name] = true;
            return true;
        };
        // Twice the area of a polygon: a zone without one holds nothing (as the runtime says too).
        var area = function (points) {
            return Math.abs(points.reduce(function (sum, p, i) { var n = points[(i + 1) % points.length]; return sum + p[0] * n[1] - n[0] * p[1]; }, 0));
        };
        return (zones || []).every(function (z) { return named(z) && Array.isArray(z.points) && z.points.length >= 3 && z.points.every(inRange) && area(z.points) > 1e-9; }) &&
            (lines || []).every(function (l) {
                return named(l) && Array.isArray(l.from) && Array.isArray(l.to) && inRange(l.from) && inRange(l.to) &&
                    (l.from[0] !== l.to[0] || l.from[1] !== l.to[1]) &&
                    Array.isArray(l.directions) && l.directions.length === 2 && l.directions[0] && l.directions[0] !== l.directions[1];
            });
    }

    /**
     * Build the editor in `container` for `node`; t(key) gives catalog texts. Returns
     * {zones(), lines()} to read the edited lists when the dialog is saved.
     */
    function create(container, node, t, unitsOf) {
        var zones = JSON.parse(JSON.stringify(node.zones || []));
        var lines = JSON.parse(JSON.stringify(node.lines || []));
        var drawing = null; // {kind: "zone"|"line", points: []}
        // The frame's size in pixels; its shape until a frame is loaded.
        var frame = { width: 640, height: 480 };
        var image = null;

        var bar = $('<div class="edge-ai-zones-bar" style="margin-bottom:6px;"></div>').appendTo(container);
        var load = $('<button type="button" class="red-ui-button edge-ai-load-frame"><i class="fa fa-camera"></i> ' + t("zones.load") + '</button>').appendTo(bar);
        var addZone = $('<button type="button" class="red-ui-button edge-ai-add-zone" style="margin-left:4px;"><i class="fa fa-object-ungroup"></i> ' + t("zones.addZone") + '</button>').appendTo(bar);
        var addLine = $('<button type="button" class="red-ui-button edge-ai-add-line" style="margin-left:4px;"><i class="fa fa-long-arrow-right"></i> ' + t("zones.addLine") + '</button>').appendTo(bar);
        var finish = $('<button type="button" class="red-ui-button edge-ai-finish" style="margin-left:4px; display:none;">' + t("zones.finish") + '</button>').appendTo(bar);
        var message = $('<div class="form-tips edge-ai-zones-message" style="margin-bottom:6px;"></div>').text(t("zones.hint")).appendTo(container);
        var canvas = $('<canvas class="edge-ai-zones-canvas" style="width:100%; border:1px solid var(--red-ui-secondary-border-color, #ccc); cursor:crosshair; background:#555;"></canvas>').appendTo(container)[0];
        var list = $('<div class="edge-ai-zones-list" style="margin-top:6px;"></div>').appendTo(container);

        function toFrame(p) { return unitsOf() === "pixels" ? [p[0] * frame.width, p[1] * frame.height] : p; }
        function toUnit(p) { return unitsOf() === "pixels" ? [p[0] / frame.width, p[1] / frame.height] : p; }

        function redraw() {
            var width = Math.max(200, $(canvas).width() || 480);
            var height = Math.round(width * frame.height / frame.width);
            canvas.width = width;
            canvas.height = height;
            var g = canvas.getContext("2d");
            g.clearRect(0, 0, width, height);
            if (image) { g.drawImage(image, 0, 0, width, height); }
            var px = function (p) { var u = toUnit(p); return [u[0] * width, u[1] * height]; };
            zones.forEach(function (z, i) {
                g.strokeStyle = g.fillStyle = COLOURS[i % COLOURS.length];
                g.lineWidth = 2;
                g.beginPath();
                z.points.forEach(function (p, k) { var q = px(p); if (k) { g.lineTo(q[0], q[1]); } else { g.moveTo(q[0], q[1]); } });
                g.closePath();
                g.globalAlpha = 0.2; g.fill(); g.globalAlpha = 1; g.stroke();
                var first = px(z.points[0]);
                g.font = "12px sans-serif"; g.fillText(z.name, first[0] + 4, first[1] + 14);
            });
            lines.forEach(function (l, i) {
                var a = px(l.from), b = px(l.to);
                g.strokeStyle = g.fillStyle = COLOURS[(zones.length + i) % COLOURS.length];
                g.lineWidth = 3;
                g.beginPath(); g.moveTo(a[0], a[1]); g.lineTo(b[0], b[1]); g.stroke();
                // The arrow shows the first direction: across the line towards its right-hand side.
                var mx = (a[0] + b[0]) / 2, my = (a[1] + b[1]) / 2, dx = b[0] - a[0], dy = b[1] - a[1];
                var len = Math.sqrt(dx * dx + dy * dy) || 1, nx = -dy / len * 18, ny = dx / len * 18;
                g.beginPath(); g.moveTo(mx, my); g.lineTo(mx + nx, my + ny); g.stroke();
                g.font = "12px sans-serif"; g.fillText(l.name + " → " + l.directions[0], mx + nx + 4, my + ny + 4);
            });
            if (drawing) {
                g.strokeStyle = g.fillStyle = "#fff";
                g.setLineDash([4, 3]);
                g.beginPath();
                drawing.points.forEach(function (p, k) { var q = px(p); if (k) { g.lineTo(q[0], q[1]); } else { g.moveTo(q[0], q[1]); } });
                g.stroke();
                g.setLineDash([]);
                drawing.points.forEach(function (p) { var q = px(p); g.fillRect(q[0] - 3, q[1] - 3, 6, 6); });
            }
        }

        function freeName(base) {
            var taken = zones.concat(lines).map(function (item) { return item.name; });
            for (var i = 1; ; i++) { if (taken.indexOf(base + " " + i) === -1) { return base + " " + i; } }
        }

        function renderList() {
            list.empty();
            var row = function (item, kind, index) {
                var div = $('<div class="form-row edge-ai-zone-item" style="margin-bottom:4px;"></div>').appendTo(list);
                $('<i class="fa ' + (kind === "zone" ? "fa-object-ungroup" : "fa-long-arrow-right") + '" style="width:16px;"></i>').appendTo(div);
                var name = $('<input type="text" class="edge-ai-item-name" style="width:90px;">').val(item.name).appendTo(div);
                var text = kind === "zone" ? formatPoints(item.points) : formatPoints([item.from, item.to]);
                var points = $('<input type="text" class="edge-ai-item-points" style="width:calc(100% - 290px); margin-left:4px;">').val(text).appendTo(div);
                var directions = kind === "line" ? $('<input type="text" class="edge-ai-item-directions" style="width:90px; margin-left:4px;">')
                    .attr("title", t("zones.directions")).val(item.directions.join(",")).appendTo(div) : null;
                $('<button type="button" class="red-ui-button red-ui-button-small" style="margin-left:4px;"><i class="fa fa-trash"></i></button>')
                    .on("click", function () { (kind === "zone" ? zones : lines).splice(index, 1); renderList(); redraw(); }).appendTo(div);
                name.on("change", function () { item.name = name.val().trim(); redraw(); });
                points.on("change", function () {
                    var parsed = parsePoints(points.val());
                    var ok = parsed && (kind === "zone" ? parsed.length >= 3 : parsed.length === 2);
                    points.toggleClass("input-error", !ok);
                    if (!ok) { return; }
                    if (kind === "zone") { item.points = parsed; } else { item.from = parsed[0]; item.to = parsed[1]; }
                    redraw();
                });
                if (directions) {
                    directions.on("change", function () {
                        var names = directions.val().split(",").map(function (s) { return s.trim(); });
                        var ok = names.length === 2 && names[0] && names[1] && names[0] !== names[1];
                        directions.toggleClass("input-error", !ok);
                        if (ok) { item.directions = names; redraw(); }
                    });
                }
            };
            zones.forEach(function (z, i) { row(z, "zone", i); });
            lines.forEach(function (l, i) { row(l, "line", i); });
        }

        function start(kind) {
            drawing = { kind: kind, points: [] };
            finish.toggle(kind === "zone");
            message.text(t(kind === "zone" ? "zones.drawZone" : "zones.drawLine"));
            redraw();
        }

        function done() {
            if (drawing && drawing.kind === "zone" && drawing.points.length >= 3) {
                zones.push({ name: freeName(t("zones.zone")), points: drawing.points });
            } else if (drawing && drawing.kind === "line" && drawing.points.length === 2) {
                lines.push({ name: freeName(t("zones.line")), from: drawing.points[0], to: drawing.points[1], directions: ["in", "out"] });
            }
            drawing = null;
            finish.hide();
            message.text(t("zones.hint"));
            renderList();
            redraw();
        }

        $(canvas).on("click", function (e) {
            if (!drawing) { return; }
            var rect = canvas.getBoundingClientRect();
            var p = toFrame([round((e.clientX - rect.left) / rect.width), round((e.clientY - rect.top) / rect.height)]);
            drawing.points.push(p);
            if (drawing.kind === "line" && drawing.points.length === 2) { return done(); }
            redraw();
        }).on("dblclick", function () { if (drawing && drawing.kind === "zone") { done(); } });
        addZone.on("click", function () { start("zone"); });
        addLine.on("click", function () { start("line"); });
        finish.on("click", done);
        load.on("click", function () {
            message.text(t("zones.loading"));
            $.ajax({ url: "edge-ai/preview/" + encodeURIComponent(node.id), xhrFields: { responseType: "blob" } }).done(function (blob, _status, xhr) {
                var img = new Image();
                img.onload = function () {
                    image = img;
                    // Pixel units are the frame's own pixels, not the small picture's.
                    frame = { width: Number(xhr.getResponseHeader("X-Frame-Width")) || img.naturalWidth, height: Number(xhr.getResponseHeader("X-Frame-Height")) || img.naturalHeight };
                    message.text(t("zones.hint"));
                    redraw();
                };
                img.src = URL.createObjectURL(blob);
            }).fail(function () { message.text(t("zones.noFrame")); });
        });

        renderList();
        setTimeout(redraw, 0);
        return {
            zones: function () { return zones; },
            lines: function () { return lines; },
            redraw: redraw
        };
    }

    window.EdgeAiZones = { create: create, valid: valid, parsePoints: parsePoints, formatPoints: formatPoints };
})();
