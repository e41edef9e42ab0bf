// The Maven order (version.hpp): Maven 3.8's ComparableVersion, on a small item tree.
#include <array>
#include <string>
#include <vector>

#include "kiln/base/strings.hpp"
#include "kiln/scan/version.hpp"
#include "kiln/scan/version_util.hpp"

namespace kiln::scan {

namespace {

using version_util::compare_number;
using version_util::is_digit;
using version_util::sign;

constexpr size_t k_max_maven_version = 256;

struct Item {
  enum class Kind { integer, string, list } kind;
  std::string value;        // integer: digits without leading zeros; string: the qualifier
  std::vector<Item> items;  // list
};

// A qualifier's place: the known ones in order, "" (a release) among them, every other one
// after "sp", in alphabetical order.
std::string rank(const std::string& q) {
  static constexpr std::array<std::string_view, 7> known = {"alpha",    "beta", "milestone", "rc",
                                                            "snapshot", "",     "sp"};
  for (size_t i = 0; i < known.size(); ++i)
    if (q == known[i]) return std::to_string(i);
  return std::to_string(known.size()) + "-" + q;
}

Item string_item(std::string v, bool followed_by_digit) {
  if (followed_by_digit && v.size() == 1) {
    if (v == "a")
      v = "alpha";
    else if (v == "b")
      v = "beta";
    else if (v == "m")
      v = "milestone";
  }
  if (v == "ga" || v == "final" || v == "release")
    v.clear();
  else if (v == "cr")
    v = "rc";
  return {Item::Kind::string, std::move(v), {}};
}

Item parse_item(bool digits, std::string_view s) {
  if (!digits) return string_item(std::string(s), false);
  while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
  return {Item::Kind::integer, std::string(s), {}};
}

bool is_null(const Item& i) {
  switch (i.kind) {
    case Item::Kind::integer:
      return i.value == "0";
    case Item::Kind::string:
      return i.value.empty();
    case Item::Kind::list:
      return i.items.empty();
  }
  return false;
}

// Trailing null items go, up to the last item that is neither null nor a list.
void normalize(Item& list) {
  for (size_t i = list.items.size(); i-- > 0;) {
    if (is_null(list.items[i]))
      list.items.erase(list.items.begin() + static_cast<std::ptrdiff_t>(i));
    else if (list.items[i].kind != Item::Kind::list)
      break;
  }
}

Item parse(std::string_view text) {
  std::string v = to_lower(text);
  Item root{Item::Kind::list, {}, {}};
  std::vector<Item*> stack{&root};  // the open lists, innermost last
  Item* list = &root;
  auto open = [&] {
    list->items.push_back({Item::Kind::list, {}, {}});
    list = &list->items.back();
    stack.push_back(list);
  };
  bool digits = false;
  size_t start = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '.' || c == '-') {
      if (i == start)
        list->items.push_back({Item::Kind::integer, "0", {}});
      else
        list->items.push_back(parse_item(digits, std::string_view(v).substr(start, i - start)));
      start = i + 1;
      if (c == '-') open();
    } else if (is_digit(c)) {
      if (!digits && i > start) {
        list->items.push_back(string_item(v.substr(start, i - start), true));
        start = i;
        open();
      }
      digits = true;
    } else {
      if (digits && i > start) {
        list->items.push_back(parse_item(true, std::string_view(v).substr(start, i - start)));
        start = i;
        open();
      }
      digits = false;
    }
  }
  if (v.size() > start)
    list->items.push_back(parse_item(digits, std::string_view(v).substr(start)));
  // Innermost first, so that a list emptied here is removed by its parent.
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) normalize(**it);
  return root;
}

int compare(const Item& a, const Item* b);

// a against nothing: how a compares to the end of the other version.
int compare_to_null(const Item& a) {
  switch (a.kind) {
    case Item::Kind::integer:
      return a.value == "0" ? 0 : 1;
    case Item::Kind::string:
      return sign(rank(a.value).compare(rank("")));
    case Item::Kind::list:
      for (const Item& i : a.items)
        if (int c = compare_to_null(i)) return c;
      return 0;
  }
  return 0;
}

int compare(const Item& a, const Item* b) {
  if (b == nullptr) return compare_to_null(a);
  switch (a.kind) {
    case Item::Kind::integer:
      return b->kind == Item::Kind::integer ? compare_number(a.value, b->value) : 1;
    case Item::Kind::string:
      return b->kind == Item::Kind::string ? sign(rank(a.value).compare(rank(b->value))) : -1;
    case Item::Kind::list:
      if (b->kind == Item::Kind::integer) return -1;
      if (b->kind == Item::Kind::string) return 1;
      for (size_t i = 0; i < a.items.size() || i < b->items.size(); ++i) {
        const Item* l = i < a.items.size() ? &a.items[i] : nullptr;
        const Item* r = i < b->items.size() ? &b->items[i] : nullptr;
        int c = l == nullptr ? (r == nullptr ? 0 : -compare(*r, nullptr)) : compare(*l, r);
        if (c != 0) return c;
      }
      return 0;
  }
  return 0;
}

}  // namespace

std::optional<int> compare_maven(std::string_view a, std::string_view b) {
  if (a.size() > k_max_maven_version || b.size() > k_max_maven_version) return std::nullopt;
  Item x = parse(a), y = parse(b);
  return compare(x, &y);
}

}  // namespace kiln::scan
