#include "kiln/io/compress.hpp"

#include <zlib.h>

#include <cstring>
#include <random>

#include <gtest/gtest.h>

namespace kiln::io {
namespace {

std::string sample(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>("abcdefgh  \n"[rng() % 11]);
  return s;
}

std::string compress(Compression c, const std::string& in, int threads) {
  StringWriter out;
  auto w = make_compressor(c, out, {.level = -1, .threads = threads});
  EXPECT_TRUE(w);
  // Odd write sizes: block boundaries must not depend on how the caller writes.
  for (size_t pos = 0; pos < in.size(); pos += 77777)
    EXPECT_TRUE((*w)->write(in.data() + pos, std::min<size_t>(77777, in.size() - pos)));
  EXPECT_TRUE((*w)->close());
  return out.take();
}

Result<std::string> decompress(Compression c, const std::string& in) {
  StringReader src(in);
  auto r = KILN_TRY(make_decompressor(c, src));
  return read_all(*r, 1 << 30);
}

class Codec : public ::testing::TestWithParam<Compression> {};

TEST_P(Codec, RoundTripsAcrossBlocksAndIsThreadIndependent) {
  std::string in = sample(5 * 1024 * 1024 + 123, 7);
  std::string one = compress(GetParam(), in, 1), four = compress(GetParam(), in, 4);
  EXPECT_EQ(one, four) << "output must not depend on the thread count";
  EXPECT_LT(one.size(), in.size() / 2);
  auto back = decompress(GetParam(), four);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, in);
}

TEST_P(Codec, EmptyInputIsAValidStream) {
  std::string out = compress(GetParam(), "", 2);
  EXPECT_FALSE(out.empty());
  auto back = decompress(GetParam(), out);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, "");
}

TEST_P(Codec, TruncatedStreamIsCorrupt) {
  std::string out = compress(GetParam(), sample(300000, 3), 2);
  out.resize(out.size() / 2);
  auto back = decompress(GetParam(), out);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code(), Errc::corrupt);
  EXPECT_NE(back.error().message().find("truncated"), std::string::npos) << back.error().message();
}

TEST_P(Codec, GarbageIsCorrupt) {
  std::string out = compress(GetParam(), sample(300000, 3), 2);
  for (size_t i = 100; i < 200; ++i) out[i] = static_cast<char>(out[i] ^ 0x5a);
  auto back = decompress(GetParam(), out);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code(), Errc::corrupt);
}

INSTANTIATE_TEST_SUITE_P(All, Codec, ::testing::Values(Compression::gzip, Compression::zstd),
                         [](const auto& info) {
                           return std::string(compression_name(info.param));
                         });

TEST(Gzip, MultiMemberOutputReadsAsOneStreamWithZlib) {
  std::string in = sample(3 * 1024 * 1024, 11);
  std::string gz = compress(Compression::gzip, in, 2);
  // What any gzip reader does: inflate members back to back.
  std::string out;
  z_stream zs{};
  inflateInit2(&zs, 16 + MAX_WBITS);
  zs.next_in = reinterpret_cast<Bytef*>(gz.data());
  zs.avail_in = static_cast<uInt>(gz.size());
  std::vector<char> buf(1 << 16);
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(buf.data());
    zs.avail_out = static_cast<uInt>(buf.size());
    int rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf.data(), buf.size() - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);
    } else {
      ASSERT_EQ(rc, Z_OK);
    }
  }
  inflateEnd(&zs);
  EXPECT_EQ(out, in);
}

// One zlib gzip member of the whole input (as `gzip` writes it).
std::string zlib_gzip(const std::string& in) {
  uLongf cap = compressBound(static_cast<uLong>(in.size())) + 64;
  std::string out(cap, '\0');
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(cap);
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// The reader decodes small members whole (libdeflate) and hands anything else to zlib: every
// mix must read back exactly, and corruption anywhere must be an error.
TEST(Gzip, MixedMemberSizesReadBack) {
  std::string a = sample(2 * 1024 * 1024, 1), big = sample(9 * 1024 * 1024, 2), c = sample(1000, 3);
  std::string gz =
      compress(Compression::gzip, a, 2) + zlib_gzip(big) + compress(Compression::gzip, c, 1);
  auto got = decompress(Compression::gzip, gz);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, a + big + c);
  auto single = decompress(Compression::gzip, zlib_gzip(big));
  ASSERT_TRUE(single);
  EXPECT_EQ(*single, big);
}

// A network stream: bytes come in pieces of odd sizes, so members straddle every read.
class TrickleReader final : public Reader {
 public:
  explicit TrickleReader(const std::string& s) : m_s(s) {}
  Result<size_t> read(void* buf, size_t size) override {
    size_t n = std::min({size, m_s.size() - m_pos, static_cast<size_t>(m_rng() % 50000 + 1)});
    std::memcpy(buf, m_s.data() + m_pos, n);
    m_pos += n;
    return n;
  }

 private:
  const std::string& m_s;
  size_t m_pos = 0;
  std::mt19937 m_rng{11};
};

TEST(Gzip, MembersArrivingInPiecesReadBack) {
  std::mt19937 rng(4);
  std::string noise(5 * 1024 * 1024 + 12345, '\0');  // members barely compress: ~1 MiB each
  for (auto& ch : noise) ch = static_cast<char>(rng() % 251);
  std::string big = sample(3 * 1024 * 1024, 6);  // one member longer than a decode step
  std::string gz = compress(Compression::gzip, noise, 2) + zlib_gzip(big) +
                   compress(Compression::gzip, noise.substr(0, 4000), 1);
  TrickleReader src(gz);
  auto r = make_decompressor(Compression::gzip, src);
  ASSERT_TRUE(r);
  auto got = read_all(**r, 1 << 30);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_TRUE(*got == noise + big + noise.substr(0, 4000));
}

TEST(Gzip, CorruptionInALaterMemberIsAnError) {
  std::string in = sample(4 * 1024 * 1024, 5);
  std::string gz = compress(Compression::gzip, in, 2);
  gz[gz.size() * 3 / 4] ^= 0x55;
  auto got = decompress(Compression::gzip, gz);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Errc::corrupt);
  auto trailing = decompress(Compression::gzip, compress(Compression::gzip, in, 2) + "garbage!");
  EXPECT_FALSE(trailing);
}

// Stored (level 0) members carry their data as is, so data holding the bytes of a member
// header puts a false member start into the compressed stream: the parallel reader must notice
// that the guessed member does not decode and still read everything back.
TEST(Gzip, HeaderBytesInsideStoredDataReadBack) {
  std::string fake("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  std::string in;
  while (in.size() < 3 * 1024 * 1024) in += fake + sample(5000, static_cast<unsigned>(in.size()));
  StringWriter out;
  auto w = make_compressor(Compression::gzip, out, {.level = 0, .threads = 2});
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write(in.data(), in.size()));
  ASSERT_TRUE((*w)->close());
  std::string gz = out.take();
  ASSERT_NE(gz.find(fake, 20), std::string::npos);
  auto got = decompress(Compression::gzip, gz);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_TRUE(*got == in);
}

// A long stream of small members is decoded in parallel batches (Batch in gzip_reader.cpp),
// several of them per window: stored members full of false heads, compressed ones between them,
// read whole and in small pieces; a member corrupted or cut off deep in the stream is an error.
TEST(Gzip, ManyMembersDecodedInParallelReadBack) {
  std::string fake("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  std::string stored;
  while (stored.size() < 6 * 1024 * 1024)
    stored += fake + sample(3000, static_cast<unsigned>(stored.size()));
  StringWriter out;
  auto w = make_compressor(Compression::gzip, out, {.level = 0, .threads = 2});
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write(stored.data(), stored.size()));
  ASSERT_TRUE((*w)->close());
  std::string text = sample(30 * 1024 * 1024, 21);
  std::string gz =
      out.take() + compress(Compression::gzip, text, 2) + compress(Compression::gzip, stored, 1);
  std::string want = stored + text + stored;
  auto got = decompress(Compression::gzip, gz);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_TRUE(*got == want);
  TrickleReader src(gz);
  auto r = make_decompressor(Compression::gzip, src);
  ASSERT_TRUE(r);
  auto trickled = read_all(**r, 1 << 30);
  ASSERT_TRUE(trickled) << trickled.error().message();
  EXPECT_TRUE(*trickled == want);

  std::string bad = gz;
  bad[bad.size() * 2 / 3] ^= 0x55;
  auto corrupt = decompress(Compression::gzip, bad);
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().code(), Errc::corrupt);
  auto cut = decompress(Compression::gzip, gz.substr(0, gz.size() * 2 / 3));
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code(), Errc::corrupt);
}

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Incompressible blocks are stored, not searched: the output is the input plus member and
// stored-block framing. Random bytes with a short period look uniform byte by byte but still
// compress, and so does text beside random data. Every case reads back and is the same for any
// number of threads.
TEST(Gzip, IncompressibleBlocksAreStoredAndTheRestCompressed) {
  std::string random = random_bytes(4 << 20, 7);
  std::string gz = compress(Compression::gzip, random, 2);
  EXPECT_LT(gz.size(), random.size() + random.size() / 500);
  EXPECT_EQ(gz, compress(Compression::gzip, random, 1));
  auto back = decompress(Compression::gzip, gz);
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == random);

  std::string period = random_bytes(4096, 9), repeated;
  while (repeated.size() < (2 << 20)) repeated += period;
  std::string gz_rep = compress(Compression::gzip, repeated, 2);
  EXPECT_LT(gz_rep.size(), repeated.size() / 20);
  back = decompress(Compression::gzip, gz_rep);
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == repeated);

  std::string mixed;  // each 1 MiB block: half random, half text
  for (unsigned i = 0; i < 3; ++i) mixed += random_bytes(512 << 10, i) + sample(512 << 10, i);
  std::string gz_mixed = compress(Compression::gzip, mixed, 2);
  EXPECT_LT(gz_mixed.size(), mixed.size() * 3 / 4);
  EXPECT_EQ(gz_mixed, compress(Compression::gzip, mixed, 1));
  back = decompress(Compression::gzip, gz_mixed);
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == mixed);
}

TEST(Compression, DetectsMagic) {
  EXPECT_EQ(detect_compression("\x1f\x8b\x08"), Compression::gzip);
  EXPECT_EQ(detect_compression(std::string("\x28\xb5\x2f\xfd", 4)), Compression::zstd);
  EXPECT_EQ(detect_compression(std::string("\xfd"
                                           "7zXZ\0",
                                           6)),
            Compression::xz);
  EXPECT_EQ(detect_compression("BZh9"), Compression::bzip2);
  EXPECT_EQ(detect_compression("bin/"), Compression::none);
  StringReader src("x");
  auto r = make_decompressor(Compression::xz, src);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "xz-compressed input is not supported (use gzip or zstd)");
  EXPECT_EQ(parse_compression("lz4").error().message(),
            "unknown compression \"lz4\" (want gzip, zstd or none)");
}

// A decompression bomb stops at the limits; data under them (or with them off) decodes.
TEST(DecompressLimits, RefuseBombsAndKeepGenuineData) {
  auto saved = decompress_limits();
  std::string zeros(8 << 20, '\0');  // 8 MiB of zeros: gzip makes ~8 KiB of it (ratio ~1000)
  for (auto c : {Compression::gzip, Compression::zstd}) {
    std::string packed = compress(c, zeros, 1);
    auto decode = [&]() -> Status {
      StringReader in(packed);
      auto r = KILN_TRY(make_decompressor(c, in));
      std::string buf(1 << 16, '\0');
      while (KILN_TRY(r->read(buf.data(), buf.size())) > 0) {
      }
      return {};
    };
    set_decompress_limits({.max_bytes = 0, .max_ratio = 100, .ratio_floor = 1 << 20});
    auto st = decode();
    ASSERT_FALSE(st) << compression_name(c);
    EXPECT_EQ(st.error().code(), Errc::corrupt);
    EXPECT_NE(st.error().message().find("decompressed size exceeds limit"), std::string::npos)
        << st.error().message();
    set_decompress_limits({.max_bytes = 4 << 20, .max_ratio = 0, .ratio_floor = 0});
    st = decode();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message().find("more than 4194304 bytes"), std::string::npos)
        << st.error().message();
    set_decompress_limits({.max_bytes = 0, .max_ratio = 100, .ratio_floor = 16 << 20});
    EXPECT_TRUE(decode()) << "under the ratio floor";
    set_decompress_limits({.max_bytes = 0, .max_ratio = 0, .ratio_floor = 0});
    EXPECT_TRUE(decode()) << "no limits";
  }
  set_decompress_limits(saved);
  EXPECT_EQ(decompress_limits().max_ratio, 100) << "the default ratio (docs/cli.md)";
  EXPECT_EQ(decompress_limits().max_bytes, int64_t{64} << 30) << "the default size";
}

}  // namespace
}  // namespace kiln::io
