// Enum name tables: one table parses and prints, and lists its names in messages.
#include <gtest/gtest.h>

#include <string>

#include "bitblock/common/enum_names.hpp"
#include "bitblock/common/error.hpp"

namespace bitblock {
namespace {

enum class Fruit { Apple, Pear, Plum };
constexpr EnumName<Fruit> kFruitNames[] = {{Fruit::Apple, "apple"}, {Fruit::Pear, "pear"}, {Fruit::Plum, "plum"}};

TEST(EnumNames, ParseAndPrintFromOneTable) {
  EXPECT_STREQ(name_of(kFruitNames, Fruit::Pear), "pear");
  EXPECT_EQ(value_of(kFruitNames, "plum"), Fruit::Plum);
  EXPECT_FALSE(value_of(kFruitNames, "Plum").has_value());  // names are exact
  EXPECT_EQ(parse_name(kFruitNames, "apple", "f.yaml: key 'fruit'"), Fruit::Apple);
}

TEST(EnumNames, ListsAndUnknownNames) {
  EXPECT_EQ(name_list(kFruitNames), "apple, pear, plum");
  EXPECT_EQ(name_list(kFruitNames, " or "), "apple, pear or plum");
  try {
    parse_name(kFruitNames, "fig", "f.yaml: key 'fruit'");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "f.yaml: key 'fruit': 'fig' is not one of apple, pear, plum");
  }
}

}  // namespace
}  // namespace bitblock
