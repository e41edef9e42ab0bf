#include "kiln/io/stream.hpp"

#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

#include "kiln/io/pipe.hpp"

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

TEST(Pipe, CarriesAStreamLongerThanItsRingInPiecesOfEverySize) {
  std::string data(3 << 20, '\0');
  std::mt19937 rng(7);
  for (auto& c : data) c = static_cast<char>(rng());
  Pipe pipe(100 << 10);  // a 100 KiB ring for 3 MiB
  std::thread writer([&] {
    std::mt19937 r(8);
    for (size_t at = 0; at < data.size();) {
      size_t n = std::min<size_t>(data.size() - at, r() % 70000 + 1);
      ASSERT_TRUE(pipe.write(data.data() + at, n));
      at += n;
    }
    pipe.close_write();
  });
  std::string got;
  char buf[9000];
  while (true) {
    auto n = pipe.read(buf, rng() % sizeof buf + 1);
    ASSERT_TRUE(n) << n.error().message();
    if (*n == 0) break;
    got.append(buf, *n);
  }
  writer.join();
  EXPECT_EQ(got, data);
}

TEST(Pipe, AReadWaitsForItsBatchUnlessTheStreamEnds) {
  Pipe pipe(1 << 20, 4096);
  std::thread writer([&] {
    for (int i = 0; i < 10000; ++i) ASSERT_TRUE(pipe.write("x", 1));  // libcurl-sized pieces
    pipe.close_write();
  });
  char small[100];
  auto first = pipe.read(small, sizeof small);  // asks for less than a batch: gets all of it
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, sizeof small);
  size_t total = *first;
  std::vector<size_t> reads;
  char buf[8192];
  while (true) {
    auto n = pipe.read(buf, sizeof buf);
    ASSERT_TRUE(n) << n.error().message();
    if (*n == 0) break;
    reads.push_back(*n);
    total += *n;
  }
  writer.join();
  EXPECT_EQ(total, 10000u);
  ASSERT_FALSE(reads.empty());
  for (size_t i = 0; i + 1 < reads.size(); ++i) EXPECT_GE(reads[i], 4096u) << "read " << i;
}

TEST(Pipe, PassesTheWritersErrorAndStopsAWriterWhoseReaderLeft) {
  Pipe a(0);
  ASSERT_TRUE(a.write("abc", 3));
  a.close_write(Error(Errc::corrupt, "blob x: digest mismatch"));
  char buf[8];
  auto n = a.read(buf, sizeof buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3u);  // what was queued first
  auto e = a.read(buf, sizeof buf);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), Errc::corrupt);

  Pipe b(64 << 10);
  std::thread reader([&] {
    char one[1];
    ASSERT_TRUE(b.read(one, 1));
    b.close_read();
  });
  std::string big(1 << 20, 'x');  // more than the ring: the writer blocks until the reader leaves
  auto st = b.write(big.data(), big.size());
  reader.join();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Errc::cancelled);
}

}  // namespace
}  // namespace kiln::io
