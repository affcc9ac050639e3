#include "batched_stderr_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/logger.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <memory>
#include <string>

using looplive::core::BatchedStderrSink;

namespace {

// Points stderr at a temporary file while it lives; what was written so far
// can be read back at any time.
class CapturedStderr {
 public:
  CapturedStderr() : file_(std::tmpfile()), saved_(::dup(STDERR_FILENO)) {
    ::fflush(stderr);
    ::dup2(::fileno(file_), STDERR_FILENO);
  }
  ~CapturedStderr() {
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    std::fclose(file_);
  }
  std::string written() const {
    std::string text(size_t(::lseek(::fileno(file_), 0, SEEK_END)), '\0');
    const ssize_t read = ::pread(::fileno(file_), text.data(), text.size(), 0);
    text.resize(read < 0 ? 0 : size_t(read));
    return text;
  }

 private:
  std::FILE* file_;
  int saved_;
};

}  // namespace

TEST_CASE("batched stderr holds lines below warn until a warning, a flush or 64 KiB",
          "[core][log]") {
  CapturedStderr captured;
  auto sink = std::make_shared<BatchedStderrSink>();
  spdlog::logger logger("origin", sink);
  logger.set_pattern("%l %v");
  sink->set_buffered(true);

  logger.info("first");
  logger.info("second");
  CHECK(captured.written().empty());
  // A warning goes out at once, after the lines it follows.
  logger.warn("trouble");
  CHECK(captured.written() == "info first\ninfo second\nwarning trouble\n");

  logger.info("third");
  CHECK(captured.written().find("third") == std::string::npos);
  logger.flush();  // what the once-a-second flush does
  CHECK(captured.written().ends_with("info third\n"));

  // A busy origin never holds more than a batch.
  const std::string line(1000, 'x');
  for (int i = 0; i < 70; ++i) logger.info(line);
  CHECK(captured.written().size() > 64 * 1024);

  // Unbuffered, as before init_logging and with log.buffered: false.
  sink->set_buffered(false);
  logger.info("now");
  CHECK(captured.written().ends_with("info now\n"));
}
