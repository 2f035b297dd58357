/*
 * The demo page's own script: mounts the rasa-webchat widget and adds what it lacks.
 *
 * - Source URLs become links and crisis phone numbers become tel:/sms: links. Only
 *   text nodes are touched and new nodes are made with createElement/textContent,
 *   never innerHTML, so bot text stays text: "<script>" shows as it is written.
 * - A crisis response (marked by the server with the class kb-crisis, see
 *   bot/channels/socketio.py) becomes a card with call and text buttons, and the
 *   same buttons stay above the chat for the rest of the conversation.
 * - Links the widget made from markdown keep only http(s), tel, sms and mailto
 *   targets: the widget turns off react-markdown's URL filter (transformLinkUri: null).
 * - Accessibility: new bot messages are read out through live regions, the input,
 *   send button and conversation get labels, quick replies work from the keyboard.
 * - "Start over" forgets the stored conversation and reloads, so the widget asks
 *   the server for a new session.
 */
(function () {
  "use strict";

  // rasa-webchat keeps the conversation and the session id under this key.
  var STORAGE_KEY = "chat_session";
  var FOCUS_FLAG = "kb-focus-input";
  // The heading before an answer's sources (sources_heading in content/messages.yml).
  var SOURCES_HEADING = meta("kb-sources-heading");
  // The appointment summary starts with this heading (summary_heading, messages.yml);
  // it gets a button that prints or saves it alone.
  var SUMMARY_HEADING = meta("kb-summary-heading");
  var SUMMARY_PRINT = meta("kb-summary-print");
  var URL_PATTERN = /https?:\/\/[^\s<>"]+/g;
  var SAFE_PROTOCOLS = ["http:", "https:", "tel:", "sms:", "mailto:"];
  // Crisis lines, in the words the crisis texts use (content/crisis_lines.yml, put in
  // the page by bot/web/serve.py). A number becomes a tel: link only after "call",
  // "text" or "on" ("call or text 988", "Samaritans free on 116 123"), so "the 988
  // Lifeline" or a figure in an answer stays plain text.
  var CRISIS_NUMBERS = JSON.parse(meta("kb-crisis-numbers") || "[]");
  // "(?!)" never matches: without numbers, nothing becomes a call link.
  var NUMBER_ALTERNATIVES = CRISIS_NUMBERS.map(function (n) {
    return n.text.replace(" ", "\\s");
  }).join("|") || "(?!)";
  var CALL_PATTERN = new RegExp(
    "\\b(?:call|text|dial|on)(?:\\s+or\\s+text)?\\s+(?:NHS\\s+)?(" + NUMBER_ALTERNATIVES + ")(?![\\w/]|\\.\\w)",
    "gi"
  );

  function meta(name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    return element ? element.getAttribute("content") : "";
  }

  function make(tag, attributes, text) {
    var element = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) {
      element.setAttribute(key, attributes[key]);
    });
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function isSafeHref(href) {
    try {
      return SAFE_PROTOCOLS.indexOf(new URL(href, window.location.href).protocol) !== -1;
    } catch (error) {
      return false;
    }
  }

  // A URL found in text, without the punctuation that ends its sentence or the
  // ")" that closes "(https://...)".
  function trimUrl(url) {
    var trimmed = url.replace(/[.,;:!?]+$/, "");
    while (trimmed.endsWith(")") && count(trimmed, "(") < count(trimmed, ")")) {
      trimmed = trimmed.slice(0, -1);
    }
    return trimmed;
  }

  function count(text, character) {
    return text.split(character).length - 1;
  }

  // Matches of URLs and phone numbers in one text, in order, not overlapping.
  function findLinks(text) {
    var found = [];
    var match;
    URL_PATTERN.lastIndex = 0;
    while ((match = URL_PATTERN.exec(text)) !== null) {
      var url = trimUrl(match[0]);
      found.push({ start: match.index, end: match.index + url.length, href: url, text: url });
    }
    CALL_PATTERN.lastIndex = 0;
    while ((match = CALL_PATTERN.exec(text)) !== null) {
      var end = match.index + match[0].length;
      var start = end - match[1].length;
      var inUrl = found.some(function (f) { return start < f.end && end > f.start; });
      if (!inUrl) {
        found.push({ start: start, end: end, href: "tel:" + match[1].replace(/\s/g, ""), text: match[1] });
      }
    }
    return found.sort(function (a, b) { return a.start - b.start; });
  }

  function linkAttributes(href) {
    if (href.indexOf("tel:") === 0) return { href: href, "aria-label": "Call " + href.slice(4) };
    return { href: href, target: "_blank", rel: "noopener noreferrer" };
  }

  // Turn URLs and numbers inside the text nodes of root into links. The original
  // text node is kept in place (splitText), because React owns it.
  function linkify(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) {
      if (!walker.currentNode.parentElement.closest("a, button")) nodes.push(walker.currentNode);
    }
    nodes.forEach(function (node) {
      var links = findLinks(node.data);
      for (var i = links.length - 1; i >= 0; i -= 1) {
        var link = links[i];
        var rest = node.splitText(link.start);
        rest.splitText(link.end - link.start);
        var anchor = make("a", linkAttributes(link.href), link.text);
        anchor.className = "kb-link";
        rest.parentNode.replaceChild(anchor, rest);
      }
    });
  }

  // Links made by the widget's markdown: keep safe targets, open web pages in a new tab.
  function checkLinks(root) {
    Array.prototype.forEach.call(root.querySelectorAll("a"), function (anchor) {
      if (anchor.classList.contains("kb-link") || anchor.closest(".kb-crisis-actions")) return;
      var href = anchor.getAttribute("href") || "";
      if (!isSafeHref(href)) {
        anchor.removeAttribute("href");
        anchor.setAttribute("aria-disabled", "true");
        return;
      }
      anchor.classList.add("kb-link");
      if (/^https?:/i.test(href)) {
        anchor.setAttribute("target", "_blank");
        anchor.setAttribute("rel", "noopener noreferrer");
      }
    });
  }

  // Call (and text) buttons for each crisis line the card mentions, in its order.
  function crisisActions(text) {
    var actions = make("div", { class: "kb-crisis-actions", role: "group", "aria-label": "Get help now" });
    CRISIS_NUMBERS.map(function (number) {
      var at = text.search(new RegExp("(^|\\D)" + number.text.replace(" ", "\\s") + "(\\D|$)"));
      return { number: number, at: at };
    }).filter(function (found) { return found.at !== -1; })
      .sort(function (a, b) { return a.at - b.at; })
      .forEach(function (found) {
        var number = found.number;
        actions.appendChild(make("a", { href: "tel:" + number.dial, class: "kb-crisis-call" }, "Call " + number.text));
        if (number.canText) {
          actions.appendChild(make("a", { href: "sms:" + number.dial, class: "kb-crisis-text" }, "Text " + number.text));
        }
      });
    return actions;
  }

  // Classes stay as the widget set them (React rewrites className); the card's
  // look comes from .rw-response.kb-crisis in chat.css.
  function decorateCrisis(bubble, text) {
    if (bubble.querySelector(".kb-crisis-heading")) return;
    bubble.setAttribute("role", "group");
    bubble.setAttribute("aria-label", "Crisis help");
    var heading = make("p", { class: "kb-crisis-heading" }, "Help is available right now");
    var speaker = bubble.querySelector(":scope > .kb-speaker");
    bubble.insertBefore(heading, speaker ? speaker.nextSibling : bubble.firstChild);
    var actions = crisisActions(text);
    if (actions.childNodes.length) bubble.insertBefore(actions, heading.nextSibling);
    keepHelpInView(text);
  }

  // The card scrolls away as the conversation goes on; its call buttons stay here.
  function keepHelpInView(text) {
    var help = document.getElementById("kb-help");
    if (!help || help.getAttribute("data-text") === text) return;
    help.textContent = "";
    help.appendChild(make("p", { class: "kb-crisis-heading" }, "Help is available right now"));
    help.appendChild(crisisActions(text));
    help.setAttribute("data-text", text);
    help.hidden = false;
  }

  // The text read out for a bot message: its paragraphs and list items; the line of
  // sources is only counted (titles read aloud after every answer help nobody).
  function spokenText(markdown) {
    var blocks = Array.prototype.slice.call(markdown.querySelectorAll("p, li"));
    if (!blocks.length) return markdown.textContent.trim();
    var parts = [];
    var sources = 0;
    blocks.forEach(function (block) {
      var text = block.textContent.trim();
      if (SOURCES_HEADING && text.indexOf(SOURCES_HEADING) === 0) {
        sources += block.querySelectorAll("a").length;
      } else {
        parts.push(text);
      }
    });
    if (sources > 0) parts.push(sources === 1 ? "1 source listed." : sources + " sources listed.");
    return parts.join(" ");
  }

  function announce(markdown, crisis) {
    var region = document.getElementById(crisis ? "kb-announce-urgent" : "kb-announce");
    region.appendChild(make("p", {}, "Assistant: " + spokenText(markdown)));
    while (region.childNodes.length > 5) region.removeChild(region.firstChild);
  }

  // Who said it, for screen readers reading the conversation back.
  function label(bubble, speaker) {
    if (bubble.querySelector(":scope > .kb-speaker")) return;
    var tag = make("span", { class: "kb-speaker kb-visually-hidden" }, speaker + " ");
    bubble.insertBefore(tag, bubble.firstChild);
  }

  // One bot text message, found by its markdown element. The widget re-renders
  // messages now and then (its link renderer is a new component each time), which
  // can undo changes, so every change here is idempotent and redone on each scan.
  function decorateMessage(markdown) {
    var bubble = markdown.closest(".rw-response") || markdown;
    label(bubble, "Assistant:");
    checkLinks(markdown);
    linkify(markdown);
    if (bubble.classList.contains("kb-crisis")) decorateCrisis(bubble, markdown.textContent);
    if (SUMMARY_HEADING && markdown.textContent.trim().indexOf(SUMMARY_HEADING) === 0) {
      decorateSummary(bubble);
    }
  }

  // A print button under the summary; printing shows that bubble alone (chat.css).
  function decorateSummary(bubble) {
    if (bubble.querySelector(".kb-summary-print")) return;
    var button = make("button", { type: "button", class: "kb-summary-print" }, SUMMARY_PRINT);
    button.addEventListener("click", function () { printAlone(bubble); });
    bubble.appendChild(button);
  }

  // The elements that hold the bubble are marked too: the print CSS leaves out all
  // else, and takes their fixed height and scrolling away, which would cut the
  // printout off at the chat's box. print() blocks, so the widget cannot re-render
  // (and reset their classes) before the page is laid out for print.
  function printAlone(bubble) {
    document.body.classList.add("kb-printing");
    bubble.classList.add("kb-print-target");
    for (var e = bubble.parentElement; e && e !== document.body; e = e.parentElement) {
      e.classList.add("kb-print-path");
    }
    window.print();
  }

  window.addEventListener("afterprint", function () {
    document.body.classList.remove("kb-printing");
    ["kb-print-target", "kb-print-path"].forEach(function (name) {
      Array.prototype.forEach.call(document.querySelectorAll("." + name), function (e) {
        e.classList.remove(name);
      });
    });
  });

  function makeKeyboardFriendly(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".rw-reply"), function (reply) {
      if (reply.tagName === "BUTTON" || reply.hasAttribute("tabindex")) return;
      reply.setAttribute("role", "button");
      reply.setAttribute("tabindex", "0");
      reply.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          reply.click();
        }
      });
    });
    var input = root.querySelector(".rw-new-message");
    if (input && !input.hasAttribute("aria-label")) {
      input.setAttribute("aria-label", "Your question");
    }
    var send = root.querySelector(".rw-send");
    if (send && !send.hasAttribute("aria-label")) send.setAttribute("aria-label", "Send");
    var log = root.querySelector(".rw-messages-container");
    if (log && !log.hasAttribute("aria-label")) {
      log.setAttribute("aria-label", "Conversation");
      log.setAttribute("role", "region");
      log.setAttribute("tabindex", "0");
    }
  }

  // Messages are only ever appended, so the ones past the count already seen are new.
  var seenMessages = 0;

  function scan(root, announceNew) {
    var messages = root.querySelectorAll(".rw-response .rw-markdown");
    Array.prototype.forEach.call(messages, decorateMessage);
    Array.prototype.forEach.call(root.querySelectorAll(".rw-client"), function (bubble) {
      label(bubble, "You:");
    });
    for (var i = seenMessages; announceNew && i < messages.length; i += 1) {
      var bubble = messages[i].closest(".rw-response") || messages[i];
      announce(messages[i], bubble.classList.contains("kb-crisis"));
    }
    seenMessages = messages.length;
    makeKeyboardFriendly(root);
  }

  function startOver() {
    [window.localStorage, window.sessionStorage].forEach(function (storage) {
      storage.removeItem(STORAGE_KEY);
    });
    window.sessionStorage.setItem(FOCUS_FLAG, "1");
    window.location.reload();
  }

  function setStatus(text) {
    document.getElementById("kb-status").textContent = text;
  }

  function mount() {
    var container = document.getElementById("webchat");
    var region = meta("kb-region") || "us";
    window.WebChat.default(
      {
        socketUrl: meta("kb-rasa-url"),
        socketPath: "/socket.io/",
        initPayload: "/greet",
        // Sent with every message; the socket.io channel passes it to Rasa as metadata.
        customData: { region: region },
        title: "Ask about ketamine",
        subtitle: "General information, not medical advice",
        inputTextFieldHint: "Type your question",
        embedded: true,
        showCloseButton: false,
        hideWhenNotConnected: false,
        withRules: false,
        params: { storage: "local" },
        customMessageDelay: function () { return 300; },
        onSocketEvent: {
          connect: function () { setStatus("Connected."); },
          disconnect: function () { setStatus("Connection lost. Trying again…"); },
          connect_error: function () { setStatus("Cannot reach the assistant. Trying again…"); }
        }
      },
      container
    );
  }

  function start() {
    var container = document.getElementById("webchat");
    linkify(document.getElementById("kb-disclaimer-text"));
    document.getElementById("kb-start-over").addEventListener("click", startOver);
    mount();
    // After "Start over", put the keyboard focus back in the input once the new
    // conversation's first message is there (the input is disabled until connected).
    var focusInput = Boolean(window.sessionStorage.getItem(FOCUS_FLAG));
    window.sessionStorage.removeItem(FOCUS_FLAG);
    // The widget renders on window load; what is there right after is the stored
    // conversation, which is decorated but not read out again.
    window.addEventListener("load", function () {
      scan(container, false);
      new MutationObserver(function () {
        scan(container, true);
        var input = container.querySelector(".rw-new-message");
        if (focusInput && seenMessages > 0 && input && !input.disabled) {
          focusInput = false;
          input.focus();
        }
      }).observe(container, { childList: true, subtree: true });
    });
  }

  start();
})();
