// The busy page: a form asks again by itself after the seconds it says (a page reloads through
// its meta refresh), so a tap is not lost when the server is full.
document.querySelectorAll("form[data-retry-after]").forEach(function (form) {
  setTimeout(function () { form.submit(); }, Number(form.dataset.retryAfter) * 1000);
});
