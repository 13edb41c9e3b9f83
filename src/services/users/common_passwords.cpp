// The passwords that guessing tries first: a sign-up or a reset with one of them is refused.
// A small list on purpose (the most common ones of the public breach corpora, and the obvious
// keyboard and counting runs of ten characters and more, which the length rule lets through).
#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>
#include <string_view>

#include "services/users/domain.hpp"

namespace ordo::services::users {
namespace {

// Lower case: the check is case-insensitive ("Password123" is as guessable as "password123").
constexpr std::string_view kCommonPasswords[] = {
    "123456",         "123456789",      "12345678",         "password",
    "qwerty",         "123123",         "1234567",          "1234567890",
    "12345",          "111111",         "000000",           "abc123",
    "password1",      "iloveyou",       "qwerty123",        "1q2w3e4r",
    "admin",          "qwertyuiop",     "654321",           "555555",
    "lovely",         "7777777",        "welcome",          "888888",
    "princess",       "dragon",         "password123",      "123qwe",
    "666666",         "1qaz2wsx",       "sunshine",         "football",
    "monkey",         "letmein",        "baseball",         "shadow",
    "master",         "superman",       "michael",          "trustno1",
    "starwars",       "whatever",       "passw0rd",         "hello123",
    "charlie",        "aa123456",       "donald",           "zaq12wsx",
    "qazwsx",         "121212",         "1234qwer",         "ashley",
    "mustang",        "access",         "batman",           "login",
    "solo",           "admin123",       "flower",           "hottie",
    "loveme",         "zaq1zaq1",       "freedom",          "jennifer",
    "hunter",         "q1w2e3r4t5",     "1q2w3e4r5t",       "1q2w3e4r5t6y",
    "q1w2e3r4t5y6",   "qwertyuiop123",  "0123456789",       "9876543210",
    "0987654321",     "1234567891",     "12345678910",      "123456789a",
    "a123456789",     "1234567890a",    "123456789012",     "1234512345",
    "1111111111",     "0000000000",     "1122334455",       "1212121212",
    "5555555555",     "1qaz2wsx3edc",   "qazwsxedc",        "qazwsxedcrfv",
    "zxcvbnm123",     "asdfghjkl",      "asdfghjkl123",     "zxcvbnmasd",
    "qwertyuiopasdf", "qwerty12345",    "qwerty123456",     "qwertyqwerty",
    "asdfasdfasdf",   "abcdefghij",     "abcdefghijk",      "abcd1234abcd",
    "abc123abc123",   "abcdef123456",   "password12",       "password1234",
    "password12345",  "password123456", "password!",        "password1!",
    "password123!",   "passw0rd123",    "p@ssw0rd123",      "p@ssword123",
    "mypassword",     "mypassword123",  "secretpassword",   "iloveyou123",
    "iloveyou1234",   "welcome123",     "welcome1234",      "letmein123",
    "letmein1234",    "football123",    "baseball123",      "sunshine123",
    "princess123",    "superman123",    "starwars123",      "monkey12345",
    "dragon12345",    "master12345",    "administrator",    "admin12345",
    "admin123456",    "adminadmin",     "administrator1",   "changeme123",
    "changeme1234",   "default123",     "qwerty1234",       "1qazxsw2",
    "football1",      "baseball1",      "computer",         "internet",
    "liverpool",      "chelsea123",     "michael123",       "jordan23",
    "ilovemyself",    "trustno1234",    "whatever123",      "samsung123",
    "google123",      "facebook",       "facebook123",      "linkedin",
    "linkedin123",    "welcomewelcome", "passwordpassword", "test123456",
};

}  // namespace

bool is_common_password(std::string_view password) {
  std::string lowered(password);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(std::begin(kCommonPasswords), std::end(kCommonPasswords), lowered) !=
         std::end(kCommonPasswords);
}

}  // namespace ordo::services::users
