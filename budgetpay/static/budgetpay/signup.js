/* Budget Pay: the browser's time zone for the sign-up page and the once-only check of
   currency and time zone. A field marked data-browser-timezone gets the zone this browser
   runs in (Intl) when it is empty or still holds the attribute's value (e.g. "UTC"), so
   nobody starts on UTC by accident. The person sees it and can change it before saving.
   Loaded with <script src defer>: the pages' Content-Security-Policy allows no inline script. */
(function () {
  "use strict";
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  if (!zone) return;
  document.querySelectorAll("input[data-browser-timezone]").forEach(function (input) {
    if (input.value === "" || input.value === input.getAttribute("data-browser-timezone")) {
      input.value = zone;
    }
  });
})();
