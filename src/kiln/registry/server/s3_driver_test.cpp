// The S3 driver's own behaviour on a real S3 engine (tests/test_registry_s3.sh runs these on
// Ceph RGW; without KILN_TEST_S3_ENDPOINT they are not instantiated): appends across sessions
// and replicas, multipart parts and server-side joins, roll-back, retries of 503 SlowDown,
// presigned URLs. The generic driver contract is driver_test.cpp's suite.
#include <gtest/gtest.h>

#include <atomic>

#include "kiln/registry/server/s3_driver.hpp"
#include "kiln/registry/server/s3_test_env.hpp"

namespace kiln::registry::server {
namespace {

constexpr int64_t MiB = 1 << 20;

// Answers 503 SlowDown in place of the engine for the next `fail` requests.
class SlowDownTransport final : public net::HttpTransport {
 public:
  explicit SlowDownTransport(int fail) : m_inner(net::curl_transport({})), m_fail(fail) {}
  Result<net::Response> perform(const net::Request& req) override {
    ++m_requests;
    if (m_fail-- > 0) {
      net::Response r;
      r.status = 503;
      r.body =
          "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
          "</Error>";
      return r;
    }
    return m_inner->perform(req);
  }
  std::shared_ptr<net::HttpTransport> m_inner;
  std::atomic<int> m_fail;
  std::atomic<int> m_requests{0};
};

std::string pattern(int64_t n, int seed) {
  std::string s(static_cast<size_t>(n), '\0');
  uint32_t x = 2654435761u * static_cast<uint32_t>(seed + 1);
  for (auto& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

class S3Driver : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    m_opts = test_s3_options();
    auto d = s3_driver(m_opts);
    ASSERT_TRUE(d) << d.error().message();
    m_d = std::move(*d);
  }
  Status append(Driver& d, std::string_view key, std::string_view data) {
    auto a = KILN_TRY(d.append(key));
    KILN_TRY(a->write(std::span(data.data(), data.size())));
    return a->close();
  }
  S3Options m_opts;
  std::unique_ptr<Driver> m_d;
};

std::vector<int> enabled() {
  const char* e = std::getenv("KILN_TEST_S3_ENDPOINT");
  return e && *e ? std::vector<int>{0} : std::vector<int>{};
}

TEST_P(S3Driver, AppendsAcrossSessionsAndJoinsOnTheServer) {
  std::string a = pattern(7 * MiB, 1), b = pattern(3 * MiB, 2), c = pattern(1 * MiB + 7, 3);
  ASSERT_TRUE(append(*m_d, "u/data", a));  // a multipart segment: one 5 MiB part and the rest
  ASSERT_TRUE(append(*m_d, "u/data", b));  // a small segment of its own
  ASSERT_TRUE(append(*m_d, "u/data", c));  // rewrites the small one with c after it
  EXPECT_EQ(m_d->stat("u/data")->size, static_cast<int64_t>(a.size() + b.size() + c.size()));
  EXPECT_EQ(*m_d->list("u"), std::vector<std::string>{"data"}) << "segments are not listed";
  EXPECT_EQ(read_all(**m_d->open("u/data")), a + b + c);
  ASSERT_TRUE(m_d->move("u/data", "blobs/x"));
  EXPECT_EQ(*m_d->get("blobs/x"), a + b + c);
  EXPECT_EQ(m_d->stat("u/data").error().code(), Errc::not_found);
  ASSERT_TRUE(m_d->remove("u"));
  EXPECT_TRUE(m_d->list("u")->empty());
}

TEST_P(S3Driver, ADroppedSessionPublishesNothingAndLeavesNoUpload) {
  ASSERT_TRUE(append(*m_d, "u/data", "kept"));
  {
    auto s = m_d->append("u/data");
    ASSERT_TRUE(s);
    std::string big = pattern(6 * MiB, 4);
    ASSERT_TRUE((*s)->write(std::span(big.data(), big.size())));  // one part went up
    EXPECT_EQ((*s)->size(), static_cast<int64_t>(4 + big.size()));
  }
  EXPECT_EQ(m_d->stat("u/data")->size, 4);
  EXPECT_EQ(*m_d->get("u/data"), "kept");
  S3Client raw(m_opts, net::curl_transport({}));
  auto ups = raw.list_uploads("u/");
  ASSERT_TRUE(ups);
  EXPECT_TRUE(ups->empty()) << "the multipart upload was aborted";
}

// A Writer is a multipart upload at its own key; one a dead process left is dropped once it
// is older than asked, and uploads of appended values (segments) are left to their sessions.
TEST_P(S3Driver, UnfinishedWritersAreDroppedByAge) {
  S3Client raw(m_opts, net::curl_transport({}));
  auto id = raw.create_upload("blobs/dead");
  ASSERT_TRUE(id);
  ASSERT_TRUE(raw.upload_part("blobs/dead", *id, 1, pattern(MiB, 9)));
  auto s = m_d->append("u/data");
  ASSERT_TRUE(s);
  std::string big = pattern(6 * MiB, 4);
  ASSERT_TRUE((*s)->write(std::span(big.data(), big.size())));  // a segment's upload is open
  int64_t now = ::time(nullptr);
  EXPECT_EQ(*m_d->drop_unfinished("blobs/", now - 3600), 0) << "too young";
  EXPECT_EQ(*m_d->drop_unfinished("", now + 3600), 1) << "the writer's, not the segment's";
  auto ups = raw.list_uploads("");
  ASSERT_TRUE(ups);
  ASSERT_EQ(ups->size(), 1u);
  EXPECT_NE((*ups)[0].key.find("~parts/"), std::string::npos);
  EXPECT_GT((*ups)[0].initiated, now - 600);
  s->reset();
  EXPECT_EQ(m_d->stat("blobs/dead").error().code(), Errc::not_found);
}

// A big value read in order streams in one GET; a jump, or a reader dropped half-way, ends
// that GET; every byte still comes from where it should.
TEST_P(S3Driver, BigValuesStreamAndJumpsStillReadRight) {
  std::string big = pattern(21 * MiB + 3, 11);
  {
    auto w = m_d->create("blobs/big");
    ASSERT_TRUE(w && *w);
    ASSERT_TRUE((*w)->write(std::span(big.data(), big.size())));
    ASSERT_TRUE((*w)->commit());
  }
  auto r = m_d->open("blobs/big");
  ASSERT_TRUE(r);
  EXPECT_EQ(read_all(**r), big);
  auto read = [&](const Reader& rd, int64_t at, size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      auto k = rd.read_at(at + static_cast<int64_t>(got), std::span(out.data() + got, n - got));
      if (!k || *k == 0) break;
      got += *k;
    }
    out.resize(got);
    return out;
  };
  auto j = m_d->open("blobs/big");
  ASSERT_TRUE(j);
  EXPECT_EQ(read(**j, 0, 3 * MiB), big.substr(0, 3 * MiB));           // streaming now
  EXPECT_EQ(read(**j, 17 * MiB, MiB), big.substr(17 * MiB, MiB));     // a jump ahead
  EXPECT_EQ(read(**j, 18 * MiB, 3 * MiB + 3), big.substr(18 * MiB));  // on to the end
  EXPECT_EQ(read(**j, 2 * MiB, MiB), big.substr(2 * MiB, MiB));       // and back
  auto half = m_d->open("blobs/big");
  ASSERT_TRUE(half);
  EXPECT_EQ(read(**half, 0, 2 * MiB), big.substr(0, 2 * MiB));
  half->reset();  // mid-stream: the GET is abandoned, nothing waits on it
}

TEST_P(S3Driver, TruncateCutsInsideASegment) {
  std::string a = pattern(7 * MiB, 5), b = pattern(100, 6);
  ASSERT_TRUE(append(*m_d, "u/data", a));
  ASSERT_TRUE(append(*m_d, "u/data", b));
  ASSERT_TRUE(m_d->truncate("u/data", 6 * MiB + 5));
  EXPECT_EQ(m_d->stat("u/data")->size, 6 * MiB + 5);
  EXPECT_EQ(read_all(**m_d->open("u/data")), a.substr(0, 6 * MiB + 5));
  ASSERT_TRUE(append(*m_d, "u/data", b));
  EXPECT_EQ(*m_d->get("u/data"), a.substr(0, 6 * MiB + 5) + b);
}

TEST_P(S3Driver, AnUploadStartedOnOneReplicaContinuesOnAnother) {
  auto other = s3_driver(m_opts);
  ASSERT_TRUE(other);
  std::string a = pattern(2 * MiB, 7), b = pattern(6 * MiB, 8);
  ASSERT_TRUE(append(*m_d, "uploads/1/data", a));
  auto s = (*other)->append("uploads/1/data");
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->size(), static_cast<int64_t>(a.size()));
  ASSERT_TRUE((*s)->write(std::span(b.data(), b.size())));
  ASSERT_TRUE((*s)->sync());
  ASSERT_TRUE(m_d->move("uploads/1/data", "blobs/y"));
  EXPECT_EQ(*(*other)->get("blobs/y"), a + b);
  EXPECT_EQ(*(*other)->list("blobs"), std::vector<std::string>{"y"});
}

TEST_P(S3Driver, AReplacedValueFailsToReadRatherThanTear) {
  ASSERT_TRUE(m_d->put("k", pattern(3 * MiB, 9)));
  auto r = m_d->open("k");
  ASSERT_TRUE(r);
  ASSERT_TRUE(m_d->put("k", pattern(3 * MiB, 10)));
  char buf[16];
  EXPECT_EQ((*r)->read_at(0, buf).has_value(), true) << "the first window was read at open";
  auto late = (*r)->read_at(2 * MiB, buf);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), Errc::conflict) << late.error().message();
}

TEST_P(S3Driver, SlowDownIsRetriedWithBackoff) {
  auto t = std::make_shared<SlowDownTransport>(3);
  auto d = s3_driver(m_opts, t);  // its first request (the bucket check) meets all three
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(t->m_requests, 4);
  t->m_fail = 100;
  auto st = (*d)->put("x", "1");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("503 SlowDown"), std::string::npos) << st.error().message();
  EXPECT_EQ(t->m_requests, 4 + 1 + m_opts.retries);
}

TEST_P(S3Driver, PresignedUrlsServeTheBlobWithoutCredentials) {
  std::string v = pattern(1000, 11);
  ASSERT_TRUE(m_d->put("blobs/z", v));
  auto url = m_d->redirect_url("blobs/z");
  ASSERT_TRUE(url);
  net::Request req;
  req.url = *url;
  auto r = net::curl_transport({})->perform(req);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, v);
  req.url = url->substr(0, url->find("X-Amz-Signature=") + 16) + std::string(64, '0');
  EXPECT_EQ(net::curl_transport({})->perform(req)->status, 403) << "a wrong signature is refused";
}

INSTANTIATE_TEST_SUITE_P(RGW, S3Driver, ::testing::ValuesIn(enabled()));
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(S3Driver);

TEST(S3Xml, ElementsAndEntities) {
  std::string x =
      "<R><Contents><Key>a&amp;b</Key><Size>3</Size></Contents><Contents><Key>c&#x2F;d</Key>"
      "</Contents><IsTruncated>false</IsTruncated></R>";
  auto els = xml_elements(x, "Contents");
  ASSERT_EQ(els.size(), 2u);
  EXPECT_EQ(xml_text(els[0], "Key"), "a&b");
  EXPECT_EQ(xml_text(els[1], "Key"), "c/d");
  EXPECT_EQ(xml_text(x, "Missing"), "");
  EXPECT_EQ(parse_s3_time("2026-12-05T10:00:00.000Z"), 1796464800);
  EXPECT_EQ(parse_s3_time("Sat, 05 Dec 2026 10:00:00 GMT"), 1796464800);
}

}  // namespace
}  // namespace kiln::registry::server
