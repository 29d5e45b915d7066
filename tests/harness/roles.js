// Finds elements by ARIA role and accessible name, the way a person using a screen reader
// would describe them ("the button Log in", "the textbox Username").
//
// arguments: [roles, name, mode, scope]
//   roles: role names separated by "|" ("button", "combobox|button"); "*" is any role.
//   name:  the accessible name, or null for any name.
//   mode:  "exact" (whitespace-normalised equality), "contains", "snapshot", or "hosts" (custom
//          elements without an open shadow root: the harness asks WebDriver for their closed
//          shadow roots and searches those too, passing each as scope).
//   scope: where to search (a shadow root), or null for the whole document.
// Returns the matching visible elements in document order (open shadow roots included), or for
// "snapshot" a text outline of every element that has a role, for failure reports.
//
// This is a small subset of https://www.w3.org/TR/accname-1.2/ and the HTML-AAM implicit roles;
// enough for the desktop and the widget, simple enough to debug.
const [wantedRoles, wantedName, mode, scope] = arguments;
const start = scope || document;

const norm = (s) => (s || "").replace(/\s+/g, " ").trim();

function* allElements(root) {
  for (const el of root.querySelectorAll("*")) {
    yield el;
    if (el.shadowRoot) yield* allElements(el.shadowRoot);
  }
}

function isHidden(el) {
  for (let e = el; e; e = e.parentElement || (e.getRootNode() && e.getRootNode().host)) {
    if (e.nodeType !== 1) break;
    if (e.getAttribute("aria-hidden") === "true" || e.hidden || e.inert) return true;
  }
  const style = getComputedStyle(el);
  if (style.visibility === "hidden" || style.display === "none") return true;
  return el.getClientRects().length === 0;
}

function hasAuthorName(el) {
  return norm(el.getAttribute("aria-label")) !== "" || el.hasAttribute("aria-labelledby");
}

function roleOf(el) {
  const explicit = norm(el.getAttribute("role")).split(" ")[0];
  if (explicit === "presentation" || explicit === "none") return null;
  if (explicit) return explicit;
  const type = (el.getAttribute("type") || "text").toLowerCase();
  switch (el.localName) {
    case "button":
      return "button";
    case "a":
    case "area":
      return el.hasAttribute("href") ? "link" : null;
    case "h1":
    case "h2":
    case "h3":
    case "h4":
    case "h5":
    case "h6":
      return "heading";
    case "input":
      if (["button", "submit", "reset", "image"].includes(type)) return "button";
      if (type === "checkbox") return el.hasAttribute("switch") ? "switch" : "checkbox";
      if (type === "radio") return "radio";
      if (type === "range") return "slider";
      if (type === "number") return "spinbutton";
      if (type === "search") return el.hasAttribute("list") ? "combobox" : "searchbox";
      if (["hidden", "file", "color", "date", "datetime-local", "month", "time", "week"].includes(type)) return null;
      return el.hasAttribute("list") ? "combobox" : "textbox";
    case "textarea":
      return "textbox";
    case "select":
      return el.multiple || el.size > 1 ? "listbox" : "combobox";
    case "option":
      return "option";
    case "ul":
    case "ol":
    case "menu":
      return "list";
    case "li":
      return "listitem";
    case "nav":
      return "navigation";
    case "main":
      return "main";
    case "aside":
      return "complementary";
    case "header":
      return el.closest("article, aside, main, nav, section") ? null : "banner";
    case "footer":
      return el.closest("article, aside, main, nav, section") ? null : "contentinfo";
    case "section":
      return hasAuthorName(el) ? "region" : null;
    case "form":
      return hasAuthorName(el) ? "form" : null;
    case "dialog":
      return "dialog";
    case "fieldset":
    case "details":
      return "group";
    case "img":
      return el.getAttribute("alt") === "" ? null : "img";
    case "table":
      return "table";
    case "tr":
      return "row";
    case "td":
      return "cell";
    case "th":
      return "columnheader";
    case "output":
      return "status";
    case "progress":
      return "progressbar";
    case "meter":
      return "meter";
    case "article":
      return "article";
    case "hr":
      return "separator";
    case "p":
      return "paragraph";
    default:
      return null;
  }
}

const NAME_FROM_CONTENT = new Set([
  "button", "link", "heading", "tab", "option", "menuitem", "menuitemcheckbox", "menuitemradio",
  "checkbox", "radio", "switch", "cell", "columnheader", "rowheader", "row", "treeitem",
  "tooltip", "listitem",
]);

function textOf(node) {
  if (node.nodeType === 3) return node.textContent;
  if (node.nodeType !== 1) return "";
  const el = node;
  if (el.getAttribute("aria-hidden") === "true") return "";
  const style = getComputedStyle(el);
  if (style.display === "none" || style.visibility === "hidden") return "";
  if (["input", "textarea", "select", "script", "style", "template"].includes(el.localName)) return "";
  const label = norm(el.getAttribute("aria-label"));
  if (label) return " " + label + " ";
  if (el.localName === "img") return " " + (el.getAttribute("alt") || "") + " ";
  let text = "";
  for (const child of (el.shadowRoot || el).childNodes) text += textOf(child);
  const block = style.display !== "inline";
  return block ? " " + text + " " : text;
}

function byId(el, id) {
  const root = el.getRootNode();
  return (root.getElementById && root.getElementById(id)) || document.getElementById(id);
}

function nameOf(el, role) {
  const labelledBy = el.getAttribute("aria-labelledby");
  if (labelledBy) {
    const text = norm(
      labelledBy.split(/\s+/).map((id) => byId(el, id)).filter(Boolean).map(textOf).join(" "),
    );
    if (text) return text;
  }
  const label = norm(el.getAttribute("aria-label"));
  if (label) return label;
  const tag = el.localName;
  if (tag === "input" || tag === "textarea" || tag === "select") {
    const type = (el.getAttribute("type") || "").toLowerCase();
    if (tag === "input" && ["button", "submit", "reset"].includes(type)) {
      return norm(el.value) || (type === "submit" ? "Submit" : type === "reset" ? "Reset" : "");
    }
    if (tag === "input" && type === "image") return norm(el.getAttribute("alt"));
    if (el.labels && el.labels.length) {
      return norm([...el.labels].map(textOf).join(" "));
    }
    return norm(el.getAttribute("title") || el.getAttribute("placeholder"));
  }
  if (tag === "fieldset") {
    const legend = el.querySelector(":scope > legend");
    if (legend) return norm(textOf(legend));
  }
  if (tag === "table") {
    const caption = el.querySelector(":scope > caption");
    if (caption) return norm(textOf(caption));
  }
  if (tag === "img") return norm(el.getAttribute("alt") || el.getAttribute("title"));
  if (NAME_FROM_CONTENT.has(role)) {
    const text = norm(textOf(el));
    if (text) return text;
  }
  return norm(el.getAttribute("title"));
}

if (mode === "hosts") {
  return [...allElements(start)].filter((el) => el.localName.includes("-") && !el.shadowRoot);
}

if (mode === "snapshot") {
  const lines = [];
  for (const el of allElements(start)) {
    const role = roleOf(el);
    if (!role) continue;
    let depth = 0;
    for (let p = el.parentElement; p; p = p.parentElement) if (roleOf(p)) depth += 1;
    const hidden = isHidden(el) ? " [hidden]" : "";
    const live = el.getAttribute("aria-live") ? ` [aria-live=${el.getAttribute("aria-live")}]` : "";
    const state = [];
    if (el.disabled || el.getAttribute("aria-disabled") === "true") state.push("disabled");
    if (el.getAttribute("aria-selected") === "true") state.push("selected");
    if (el.getAttribute("aria-pressed")) state.push(`pressed=${el.getAttribute("aria-pressed")}`);
    if (el.getAttribute("aria-expanded")) state.push(`expanded=${el.getAttribute("aria-expanded")}`);
    if ("value" in el && typeof el.value === "string" && el.value) state.push(`value=${JSON.stringify(el.value)}`);
    lines.push(
      "  ".repeat(depth) + `${role} ${JSON.stringify(nameOf(el, role))}` +
        (state.length ? ` (${state.join(", ")})` : "") + live + hidden,
    );
  }
  return lines.join("\n");
}

const roles = wantedRoles === "*" ? null : new Set(wantedRoles.split("|"));
if (roles && roles.has("textbox")) roles.add("searchbox");
const want = wantedName === null ? null : norm(wantedName);
const found = [];
for (const el of allElements(start)) {
  const role = roleOf(el);
  if (!role || (roles && !roles.has(role))) continue;
  if (isHidden(el)) continue;
  if (want !== null) {
    const name = nameOf(el, role);
    if (mode === "contains" ? !name.includes(want) : name !== want) continue;
  }
  found.push(el);
}
return found;
