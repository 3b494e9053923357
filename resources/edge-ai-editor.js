/*
 * Editor code shared by the edge-ai nodes' edit dialogs. Each nodes/edge-ai-*.html loads this
 * file before its own script; Node-RED serves it at
 * resources/@edgeflow/node-red-edge-ai/edge-ai-editor.js. It defines one global, EdgeAiEditor:
 *
 *   EdgeAiEditor.forType(type, prefix) the validators and catalog look-up of one node type
 *   .flowNode(definition)              the registerType definition of a flow node, with the look
 *                                      that all edge AI nodes share
 *   .fillUnset(node)                   show the defaults of settings the node was saved without
 *   .unsetMeansDefault(defaults)       validate a missing setting as its default (flowNode does it)
 *   .preview(container, node)          a live preview of the node's latest frame in its dialog
 *   .preprocessing(options)            the input preprocessing settings that edge-ai-preprocess
 *                                      (set on the node) and edge-ai-model (the model's own) share:
 *                                      their defaults, form rows and show/hide
 *
 * Every text comes from the node type's catalog (locales/<lang>/<type>.json).
 */
(function () {
    "use strict";
    if (window.EdgeAiEditor) { return; } // the .html of each node type loads this file

    var MODULE = "@edgeflow/node-red-edge-ai";

    function num(v) { var s = String(v).trim(); return s === "" ? NaN : Number(s); }
    function isInt(n) { return Number.isInteger(n); }

    /**
     * The helpers of node type `type`, whose dialog inputs have the ids `prefix` + property:
     * "node-input-" (the default) for flow nodes, "node-config-input-" for config nodes.
     * A validator returns true, or the catalog message `validation.<key>`. Validators keep the
     * (value, opt) signature: Node-RED shows a returned message only for two-argument validators.
     */
    function forType(type, prefix) {
        prefix = prefix || "node-input-";
        var ns = MODULE + "/" + type + ":" + type + ".";
        function t(key, opts) { return RED._(ns + key, opts); }

        // The value a property has right now: the open edit dialog's input while
        // this node is being edited, otherwise the saved property, or its default when the node
        // was saved before the property existed (the runtime then uses the default too).
        function current(node, prop) {
            var input = $("#" + prefix + prop);
            var stack = RED.editor.getEditStack ? RED.editor.getEditStack() : null;
            if (input.length && (!stack || stack.indexOf(node) !== -1)) {
                return input.is(":checkbox") ? input.prop("checked") : input.val();
            }
            var defaults = node._def && node._def.defaults;
            return node[prop] === undefined && defaults && defaults[prop] ? defaults[prop].value : node[prop];
        }
        // Fails with `validation.<key>` when test(number) fails.
        function check(key, test) {
            return function (v, opt) { return test(num(v)) ? true : t("validation." + key); };
        }
        // Apply a validator only while property `prop` has one of `values` (the row is shown).
        function when(prop, values, validator) {
            return function (v, opt) {
                return values.indexOf(current(this, prop)) === -1 || validator.call(this, v, opt);
            };
        }
        function intRange(key, min, max) { return check(key, function (n) { return isInt(n) && n >= min && n <= max; }); }
        function fraction(key) { return check(key, function (n) { return n >= 0 && n <= 1; }); }
        function filled(key) {
            return function (v, opt) { return String(v).trim() !== "" || t("validation." + key); };
        }
        // A URL with one of `schemes` (e.g. ["http", "https"]) and a host, or "${NAME}": a whole
        // environment variable, which Node-RED puts in its place. `validation.<key>` when empty,
        // otherwise `validation.<key>Scheme` with __schemes__, the beginnings it accepts.
        function url(key, schemes) {
            var empty = filled(key);
            var valid = new RegExp("^(?:(?:" + schemes.join("|") + ")://[^\\s/?#]+.*|\\$\\{\\S+\\})$", "i");
            var accepted = schemes.map(function (scheme) { return scheme + "://"; }).join(", ");
            return function (v, opt) {
                var filledIn = empty(v, opt);
                if (filledIn !== true) { return filledIn; }
                return valid.test(String(v).trim()) || t("validation." + key + "Scheme", { schemes: accepted });
            };
        }
        // Passes when every one of `validators` passes; otherwise the first one's message.
        function all() {
            var validators = Array.prototype.slice.call(arguments);
            return function (v, opt) {
                for (var i = 0; i < validators.length; i++) {
                    var result = validators[i].call(this, v, opt);
                    if (result !== true) { return result; }
                }
                return true;
            };
        }
        // Three comma-separated numbers in 0..255 pixel units, each accepted by test.
        function triple(key, test) {
            return function (v, opt) {
                var parts = String(v).split(",");
                return (parts.length === 3 && parts.every(function (p) { var n = num(p); return n <= 255 && test(n); })) ||
                    t("validation." + key);
            };
        }

        // A node saved before a setting existed (or written by hand) lacks it, and the runtime uses
        // the setting's default: the dialog shows that default, not an empty field, so pressing
        // Done without a change saves a valid node. Call first thing in oneditprepare.
        function fillUnset(node) {
            $.each(RED.nodes.getType(type).defaults, function (prop, def) {
                var input = $("#" + prefix + prop);
                if (node[prop] !== undefined || !input.length) { return; }
                if (input.is(":checkbox")) { input.prop("checked", def.value); } else { input.val(def.value); }
            });
        }

        // `definition` completed with what all edge AI flow nodes share: their palette category and
        // colour, one input and one output, the icon <type>.svg, the palette label from the catalog,
        // the label in italics when it is the node's name, and unset settings as good as their defaults.
        function flowNode(definition) {
            var prepare = definition.oneditprepare;
            unsetMeansDefault(definition.defaults);
            return $.extend({
                category: "edge AI",
                color: "#9FD3C7",
                inputs: 1,
                outputs: 1,
                icon: type + ".svg",
                paletteLabel: function () { return t("paletteLabel"); },
                labelStyle: function () { return this.name ? "node_label_italic" : ""; }
            }, definition, {
                oneditprepare: function () {
                    fillUnset(this);
                    if (prepare) { return prepare.apply(this, arguments); }
                }
            });
        }

        // A setting missing on a node (saved before the setting existed, or written by hand) means
        // its default, in the runtime and here: each validator judges the default in its place,
        // so a missing setting is exactly as valid as its default.
        function unsetMeansDefault(defaults) {
            $.each(defaults, function (prop, def) {
                var validate = def.validate;
                if (typeof validate !== "function") { return; }
                def.validate = function (v, opt) {
                    return validate.call(this, v === undefined ? JSON.parse(JSON.stringify(def.value)) : v, opt);
                };
            });
            return defaults;
        }

        var helpers = {
            t: t, check: check, when: when, intRange: intRange, fraction: fraction, filled: filled,
            url: url, all: all, triple: triple, flowNode: flowNode, unsetMeansDefault: unsetMeansDefault, fillUnset: fillUnset,
            preview: function (container, node) { return preview(container, node, t); }
        };
        helpers.preprocessing = function (options) { return preprocessing(helpers, type, prefix, options || {}); };
        return helpers;
    }

    /** How often the live preview asks for a new frame while it is open. */
    var PREVIEW_INTERVAL_MS = 1000;

    /**
     * A live preview in a dialog: the node's latest frame from the running flow, made small by
     * the runtime (GET edge-ai/preview/<id>), refreshed every second while shown. Uses the type's
     * catalog keys preview.show, preview.hide and preview.none. Returns {stop()}, for
     * oneditsave/oneditcancel.
     */
    function preview(container, node, t) {
        var button = $('<button type="button" class="red-ui-button edge-ai-preview-toggle"><i class="fa fa-eye"></i> <span></span></button>').appendTo(container);
        var message = $('<div class="form-tips edge-ai-preview-message" style="display:none; margin-top:6px;"></div>').appendTo(container);
        var image = $('<img class="edge-ai-preview-image" alt="" style="display:none; max-width:100%; margin-top:6px; border:1px solid var(--red-ui-secondary-border-color, #ccc);">').appendTo(container);
        var timer = null;
        var url = null;
        function label() { button.find("span").text(t(timer ? "preview.hide" : "preview.show")); }
        function fetchFrame() {
            $.ajax({ url: "edge-ai/preview/" + encodeURIComponent(node.id) + "?width=480", xhrFields: { responseType: "blob" } }).done(function (blob) {
                if (!timer) { return; }
                if (url) { URL.revokeObjectURL(url); }
                url = URL.createObjectURL(blob);
                image.attr("src", url).show();
                message.hide();
            }).fail(function () {
                if (!timer) { return; }
                image.hide();
                message.text(t("preview.none")).show();
            });
        }
        function stop() {
            clearInterval(timer);
            timer = null;
            if (url) { URL.revokeObjectURL(url); url = null; }
            image.hide();
            message.hide();
            label();
        }
        button.on("click", function () {
            if (timer) { return stop(); }
            timer = setInterval(fetchFrame, PREVIEW_INTERVAL_MS);
            fetchFrame();
            label();
        });
        label();
        return { stop: stop };
    }

    /**
     * The input preprocessing settings in the dialog of `type` (helpers = forType(type, prefix)).
     * options:
     *   props       the node's property for each setting, by its edge-ai-preprocess name (resize,
     *               padValue, align, channels, normalize, mean, std); default: those names
     *   optionKeys  the catalog key `option.<key>` of a select option, by its value, where it is not
     *               the value itself
     *   rowClass    a class for the rows that show whenever the settings do (resize, colour order,
     *               values), so the node can hide them all
     *   validWhen   wraps each validator, e.g. to check the settings only while they are used
     * The type's catalog has label.<prop> for each setting, placeholder.<prop> for mean and std,
     * validation.<prop> for padValue, mean and std, option.<key>, tip.letterbox and tip.custom.
     * The padding rows have the class <type>-letterbox, the mean and std rows <type>-custom.
     */
    function preprocessing(helpers, type, prefix, options) {
        var p = {};
        ["resize", "padValue", "align", "channels", "normalize", "mean", "std"].forEach(function (name) {
            p[name] = (options.props && options.props[name]) || name;
        });
        var optionKeys = options.optionKeys || {};
        var validWhen = options.validWhen || function (validator) { return validator; };
        var letterbox = type + "-letterbox";
        var custom = type + "-custom";

        function label(prop, icon, style) {
            return '<label for="' + prefix + prop + '"' + (style ? ' style="' + style + '"' : "") + ">" +
                (icon ? '<i class="fa ' + icon + '"></i> ' : "") +
                '<span data-i18n="' + type + ".label." + prop + '"></span></label>';
        }
        function select(prop, width, values) {
            return '<select id="' + prefix + prop + '" style="width:' + width + ';">' + values.map(function (value) {
                return '<option value="' + value + '" data-i18n="' + type + ".option." + (optionKeys[value] || value) + '"></option>';
            }).join("") + "</select>";
        }
        function text(prop, width, placeholder) {
            return '<input type="text" id="' + prefix + prop + '" style="width:' + width + ';"' +
                (placeholder ? ' data-i18n="[placeholder]' + type + ".placeholder." + prop + '"' : "") + ">";
        }
        function row(cls, parts) {
            return '<div class="form-row' + (cls ? " " + cls : "") + '">' + parts.join(" ") + "</div>";
        }
        function tip(cls, key) {
            return row(cls, ['<div class="form-tips"><span data-i18n="' + type + ".tip." + key + '"></span></div>']);
        }
        // The rows in two groups, so that a dialog can put rows of its own between them.
        var groups = {
            image: [
                row(options.rowClass, [label(p.resize, "fa-compress"), select(p.resize, "70%", ["letterbox", "stretch", "crop"])]),
                row(letterbox, [label(p.padValue, "fa-square-o"), text(p.padValue, "70px"),
                    label(p.align, null, "width:auto; margin-left:14px;"), select(p.align, "120px", ["center", "topleft"])]),
                tip(letterbox, "letterbox"),
                row(options.rowClass, [label(p.channels, "fa-tint"), select(p.channels, "70%", ["rgb", "bgr"])])
            ],
            values: [
                row(options.rowClass, [label(p.normalize, "fa-sliders"),
                    select(p.normalize, "70%", ["unit", "signed", "imagenet", "raw", "custom"])]),
                row(custom, [label(p.mean), text(p.mean, "70%", true)]),
                row(custom, [label(p.std), text(p.std, "70%", true)]),
                tip(custom, "custom")
            ]
        };

        return {
            /** The `defaults` entries of the settings, with their validators. */
            defaults: function () {
                var defaults = {};
                function whenCustom(key, test) {
                    return validWhen(helpers.when(p.normalize, ["custom"], helpers.triple(key, test)));
                }
                defaults[p.resize] = { value: "letterbox" };
                defaults[p.padValue] = { value: 114, validate: validWhen(helpers.intRange(p.padValue, 0, 255)) };
                defaults[p.align] = { value: "center" };
                defaults[p.channels] = { value: "rgb" };
                defaults[p.normalize] = { value: "unit" };
                defaults[p.mean] = { value: "0,0,0", validate: whenCustom(p.mean, function (n) { return n >= 0; }) };
                defaults[p.std] = { value: "1,1,1", validate: whenCustom(p.std, function (n) { return n > 0; }) };
                return defaults;
            },
            /** Append the rows of group "image" (resize, padding, colour order) or "values" to container. */
            appendRows: function (container, group) {
                $(container).append(groups[group].join("\n"));
            },
            /**
             * Put the rows into the type's edit dialog template, in place of its placeholders
             * <div data-edge-ai-preprocess="image"></div> and <div data-edge-ai-preprocess="values"></div>.
             * Call it when the node's .html is loaded, before a dialog is built from the template, so
             * that Node-RED fills, validates and saves these inputs like any other.
             */
            addToTemplate: function () {
                var template = $("script[data-template-name='" + type + "']");
                var form = $("<div>").html(template.html());
                var self = this;
                form.find("[data-edge-ai-preprocess]").each(function () {
                    var placeholder = $(this);
                    self.appendRows(placeholder, placeholder.attr("data-edge-ai-preprocess"));
                    placeholder.replaceWith(placeholder.contents());
                });
                template.text(form.html());
            },
            /** Call update() whenever a select that shows or hides rows changes. */
            onChange: function (update) {
                $("#" + prefix + p.resize + ", #" + prefix + p.normalize).on("change", update);
            },
            /** Show the padding and mean / std rows as the selects ask, or hide them when !shown. */
            toggle: function (shown) {
                $("." + letterbox).toggle(shown && $("#" + prefix + p.resize).val() === "letterbox");
                $("." + custom).toggle(shown && $("#" + prefix + p.normalize).val() === "custom");
            }
        };
    }

    window.EdgeAiEditor = { forType: forType };
})();
