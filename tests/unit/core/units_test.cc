#include "sluice/core/units.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(ParseDuration, AcceptsTheUnitsPeopleWrite) {
  EXPECT_EQ(ParseDuration("30s"), 30'000'000'000);
  EXPECT_EQ(ParseDuration("200ms"), 200'000'000);
  EXPECT_EQ(ParseDuration("500us"), 500'000);
  EXPECT_EQ(ParseDuration("500\xC2\xB5s"), 500'000);
  EXPECT_EQ(ParseDuration("10ns"), 10);
  EXPECT_EQ(ParseDuration("2m"), 120'000'000'000);
  EXPECT_EQ(ParseDuration("1h"), 3'600'000'000'000);
  EXPECT_EQ(ParseDuration("1.5s"), 1'500'000'000);
  EXPECT_EQ(ParseDuration(" 20 ms "), 20'000'000);
  EXPECT_EQ(ParseDuration("0"), 0);
}

TEST(ParseDuration, RefusesAmbiguousOrMalformedInput) {
  EXPECT_FALSE(ParseDuration("30"));  // seconds? milliseconds?
  EXPECT_FALSE(ParseDuration("s"));
  EXPECT_FALSE(ParseDuration(""));
  EXPECT_FALSE(ParseDuration("-5s"));
  EXPECT_FALSE(ParseDuration("5 parsecs"));
  EXPECT_FALSE(ParseDuration("1.2.3s"));
}

TEST(ParseSize, AcceptsBinaryAndDecimalUnits) {
  EXPECT_EQ(ParseSize("450B"), 450);
  EXPECT_EQ(ParseSize("450"), 450);
  EXPECT_EQ(ParseSize("64KiB"), 65536);
  EXPECT_EQ(ParseSize("1MiB"), 1048576);
  EXPECT_EQ(ParseSize("1GiB"), 1073741824);
  EXPECT_EQ(ParseSize("1KB"), 1000);
  EXPECT_EQ(ParseSize("1kB"), 1000);
  EXPECT_EQ(ParseSize("2.5MB"), 2'500'000);
  EXPECT_EQ(ParseSize("1_000B"), 1000);
}

TEST(ParseSize, RefusesFractionsOfBytesAndUnknownUnits) {
  EXPECT_FALSE(ParseSize("1.5B"));
  EXPECT_FALSE(ParseSize("12 bytes"));
  EXPECT_FALSE(ParseSize("KiB"));
  EXPECT_FALSE(ParseSize("-1B"));
}

TEST(ParseRate, AcceptsPerSecondWithPrefixes) {
  EXPECT_DOUBLE_EQ(*ParseRate("50k/s"), 50'000);
  EXPECT_DOUBLE_EQ(*ParseRate("2.5M/s"), 2'500'000);
  EXPECT_DOUBLE_EQ(*ParseRate("200/s"), 200);
  EXPECT_DOUBLE_EQ(*ParseRate("3.5/s"), 3.5);
  EXPECT_DOUBLE_EQ(*ParseRate("1G/s"), 1e9);
  EXPECT_DOUBLE_EQ(*ParseRate("1000"), 1000);
}

TEST(ParseRate, RefusesOtherTimeUnits) {
  EXPECT_FALSE(ParseRate("50k/min"));
  EXPECT_FALSE(ParseRate("50x/s"));
  EXPECT_FALSE(ParseRate("/s"));
}

TEST(Format, RoundTripsThroughTheParsers) {
  EXPECT_EQ(FormatDuration(1'500'000'000), "1.50s");
  EXPECT_EQ(FormatDuration(4'140'000), "4.14ms");
  EXPECT_EQ(FormatDuration(8'000), "8.0us");
  EXPECT_EQ(FormatDuration(12), "12ns");
  EXPECT_EQ(FormatSize(450), "450B");
  EXPECT_EQ(FormatSize(65536), "64.0KiB");
  EXPECT_EQ(FormatRate(950), "950/s");
  EXPECT_EQ(FormatRate(50'000), "50.0k/s");
  EXPECT_EQ(FormatRate(1'200'000), "1.20M/s");
}

}  // namespace
}  // namespace sluice
