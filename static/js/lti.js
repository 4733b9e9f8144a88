// The deep-linking response goes back to the LMS by itself (the button stays for no-script).
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
// Dynamic registration finished: tell the LMS that opened this page (IMS LTI-DR 1.0, section 3.6).
if (document.querySelector("[data-lti-registration-done]")) {
  (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
}
