// The S3 storage driver: the registry's keys as objects in a bucket (Distribution's `storage:
// s3:`), for several registry replicas over one bucket and for object stores such as Ceph RGW.
//
// A value written with put() is one object. S3 cannot append, so a value built with append()
// (an upload's data) is a run of segment objects beside it, "<key>~parts/<offset, 16 digits>",
// each written whole by one Appender session: buffered parts of chunk_size go up as a multipart
// upload, and close() or sync() completes it (or PUTs a small one), so a segment appears
// atomically or not at all. Every segment but the last holds at least S3's minimum part size
// (5 MiB): a session that starts after a smaller last segment reads it back and rewrites it with
// its own bytes appended. That lets move() join the segments on the server side with a
// multipart copy, and no byte of a blob passes through the registry twice. An Appender dropped
// without close() or sync() publishes nothing (its multipart upload is aborted), which is how
// a chunk that failed half-way is rolled back.
#pragma once

#include <memory>

#include "kiln/base/error.hpp"
#include "kiln/net/http.hpp"
#include "kiln/registry/server/driver.hpp"
#include "kiln/registry/server/s3_client.hpp"

namespace kiln::registry::server {

// Checks the options and that the bucket answers; http defaults to libcurl.
Result<std::unique_ptr<Driver>> s3_driver(S3Options opts,
                                          std::shared_ptr<net::HttpTransport> http = nullptr);

}  // namespace kiln::registry::server
