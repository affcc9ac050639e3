#include "looplive/core/product_tag.hpp"

namespace looplive::core {

std::string_view tag_action_name(TagAction action) {
  switch (action) {
    case TagAction::show:
      return "show";
    case TagAction::hide:
      return "hide";
    case TagAction::update:
      return "update";
  }
  return "show";
}

std::optional<TagAction> parse_tag_action(std::string_view name) {
  for (const TagAction action : {TagAction::show, TagAction::hide, TagAction::update})
    if (tag_action_name(action) == name) return action;
  return std::nullopt;
}

}  // namespace looplive::core
