// Conditional requests (RFC 9110 13.1): whether an If-Match or If-None-Match field value names
// the current entity tag of a resource. The tag is the quoted form the ETag field carries.
#pragma once

#include <string_view>

namespace ordo::http {

// If-Match, strong comparison: "*" or a list of tags one of which is `current` (a weak tag,
// W/"...", never matches).
bool if_match_satisfied(std::string_view header, std::string_view current);
// If-None-Match, weak comparison: true when the client's copy is current ("*", or a tag equal
// to `current` with or without W/), so the answer is 304.
bool if_none_match_matches(std::string_view header, std::string_view current);

}  // namespace ordo::http
