// Quoting a selected passage: when text inside a post is selected, its "Quote" link puts just
// that passage in the reply box. Without JavaScript (or with nothing selected) the link still
// works: the server quotes the whole post.
(function () {
  "use strict";
  var box = document.getElementById("body");
  var to = document.getElementById("reply_to");
  if (!box || !to) return;
  document.querySelectorAll("a.forum-quote").forEach(function (link) {
    var selected = "";
    // Remember the selection as the pointer or key reaches the link: a click can clear it.
    function remember() {
      var sel = window.getSelection();
      var post = document.querySelector('.forum-post__body[data-post="' + link.dataset.post + '"]');
      selected = "";
      if (sel && post && !sel.isCollapsed && post.contains(sel.anchorNode) && post.contains(sel.focusNode)) {
        selected = sel.toString().trim();
      }
    }
    link.addEventListener("mousedown", remember);
    link.addEventListener("keydown", remember);
    link.addEventListener("click", function (e) {
      if (!selected) return;
      e.preventDefault();
      var quote = "> **" + link.dataset.author + "** wrote:\n>\n" +
        selected.split("\n").map(function (l) { return "> " + l; }).join("\n") + "\n\n";
      box.value = (box.value ? box.value + "\n" : "") + quote;
      to.value = link.dataset.post;
      box.focus();
    });
  });
})();
