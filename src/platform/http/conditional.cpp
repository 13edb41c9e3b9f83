#include "platform/http/conditional.hpp"

#include "platform/http/header_values.hpp"

namespace ordo::http {
namespace {

struct EntityTag {
  bool weak = false;
  std::string_view opaque;  // with its quotes; "*" for the wildcard
};

EntityTag entity_tag(std::string_view element) {
  EntityTag tag;
  if (element.starts_with("W/")) {
    tag.weak = true;
    element.remove_prefix(2);
  }
  tag.opaque = element;
  return tag;
}

}  // namespace

bool if_match_satisfied(std::string_view header, std::string_view current) {
  for (auto element : list_elements(header)) {
    auto tag = entity_tag(element);
    if (!tag.weak && (tag.opaque == "*" || tag.opaque == current))
      return true;
  }
  return false;
}

bool if_none_match_matches(std::string_view header, std::string_view current) {
  for (auto element : list_elements(header)) {
    auto tag = entity_tag(element);
    if (tag.opaque == "*" || tag.opaque == current)
      return true;
  }
  return false;
}

}  // namespace ordo::http
