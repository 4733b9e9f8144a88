// The deep-linking response goes back to the LMS by itself (the button stays for no-script).
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
