#include "kiln/io/stream.hpp"

#include <gtest/gtest.h>

namespace kiln::io {
namespace {

TEST(VerifyingReader, AcceptsMatchingStream) {
  StringReader src("hello");
  VerifyingReader v(src, Digest::of("hello"), 5, "blob x");
  auto all = read_all(v, 100);
  ASSERT_TRUE(all) << all.error().message();
  EXPECT_EQ(*all, "hello");
}

TEST(VerifyingReader, RejectsWrongDigest) {
  StringReader src("hellO");
  VerifyingReader v(src, Digest::of("hello"), 5, "blob x");
  auto all = read_all(v, 100);
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code(), Errc::corrupt);
  EXPECT_EQ(all.error().message(), fmt::format("blob x: digest mismatch: got {}, want {}",
                                               Digest::of("hellO"), Digest::of("hello")));
}

TEST(VerifyingReader, RejectsShortAndLongStreams) {
  StringReader shorter("hell");
  VerifyingReader v1(shorter, Digest::of("hello"), 5, "blob x");
  EXPECT_EQ(read_all(v1, 100).error().message(), "blob x: size mismatch: got 4 bytes, want 5");
  StringReader longer("hello!");
  VerifyingReader v2(longer, Digest::of("hello"), 5, "blob x");
  EXPECT_EQ(read_all(v2, 100).error().message(),
            "blob x: size mismatch: more than the declared 5 bytes");
}

TEST(Stream, LimitTeePeek) {
  StringReader src("0123456789");
  LimitReader lim(src, 5, "input");
  EXPECT_EQ(read_all(lim, 100).error().message(), "input: larger than the limit of 5 bytes");

  StringReader src2("abcdef");
  StringWriter side;
  TeeReader tee(src2, side);
  PeekReader peek(tee);
  EXPECT_EQ(*peek.peek(3), "abc");
  EXPECT_EQ(*read_all(peek, 100), "abcdef");
  EXPECT_EQ(side.data(), "abcdef");
}

TEST(HashingWriter, HashesWhatPassesThrough) {
  StringWriter out;
  HashingWriter h(&out);
  ASSERT_TRUE(h.write("abc", 3));
  EXPECT_EQ(h.size(), 3);
  EXPECT_EQ(h.digest(), Digest::of("abc"));
  EXPECT_EQ(out.data(), "abc");
}

}  // namespace
}  // namespace kiln::io
