// Whole-file reads and crash-safe writes (see atomic_file.h). POSIX calls are
// used directly because the standard streams cannot fsync and report errors
// only as a failbit, without the errno text a user needs to fix the problem.
#include "core/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <random>
#include <system_error>

#include "core/error.h"

namespace gan::io {
namespace {

namespace fs = std::filesystem;

// strerror text for an errno value; thread-safe, unlike std::strerror.
std::string errno_text(int err) { return std::generic_category().message(err); }

// The directory a file lives in ("." for a bare file name).
std::string parent_dir(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// Writes all of [data, data + size) to fd, retrying partial writes and EINTR.
// Returns 0 or the errno of the failed write.
int write_all(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    // Linux writes at most ~2 GiB per call; larger requests just come back short.
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;  // should not happen for regular files; avoid spinning
    data += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

// Creates a new, uniquely named file next to `path` and returns its descriptor
// and name. The name starts with '.' so directory listings (e.g. the image
// loader) skip it, and contains the pid plus a random part so concurrent
// writers never share a temporary. O_EXCL makes a collision fail, not clobber.
int create_temp_beside(const std::string& path, std::string* temp_path, int* err) {
  static std::atomic<uint64_t> counter{0};
  fs::path target(path);
  std::random_device rd;
  for (int attempt = 0; attempt < 16; ++attempt) {
    // Built by appending: GCC 12 gives a false -Wrestrict for "." + std::string.
    std::string name(".");
    name += target.filename().string();
    name += ".tmp.";
    name += std::to_string(::getpid());
    name += '.';
    name += std::to_string(counter.fetch_add(1));
    name += '.';
    name += std::to_string(rd());
    std::string candidate = (target.parent_path() / name).string();
    // 0666: the umask then gives the file the same permissions an ordinary
    // open() would (mkstemp would force 0600).
    int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      *temp_path = candidate;
      return fd;
    }
    if (errno != EEXIST && errno != EINTR) {
      *err = errno;
      return -1;
    }
  }
  *err = EEXIST;
  return -1;
}

// Best effort: fsync the directory so the rename itself survives a power cut.
// Some file systems refuse fsync on directories; the data is already safe then
// as far as the OS allows, so failures here are ignored.
void sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomic(const std::string& path, const void* data, size_t size) {
  GAN_CHECK(!path.empty(), IoError, "cannot write a file with an empty path");
  GAN_CHECK(data != nullptr || size == 0, IoError, "cannot write '", path, "': no data given");
  const std::string dir = parent_dir(path);

  std::string temp;
  int err = 0;
  int fd = create_temp_beside(path, &temp, &err);
  GAN_CHECK(fd >= 0, IoError, "cannot write '", path, "': creating a temporary file in '", dir,
            "' failed: ", errno_text(err), ". Check that the directory exists and is writable.");

  // From here on, any failure must remove the temporary file before throwing.
  auto fail = [&](const char* step, int e) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    throw IoError(detail::concat("cannot write '", path, "': ", step, " failed: ", errno_text(e),
                                 ". The previous contents of '", path,
                                 "' (if any) are unchanged; check free disk space and permissions, then retry."));
  };

  if (int e = write_all(fd, static_cast<const uint8_t*>(data), size)) fail("writing the data", e);
  // fsync before rename: otherwise a crash could leave the new name pointing at
  // a file whose blocks were never written (the classic zero-length file).
  if (::fsync(fd) != 0) fail("flushing to disk (fsync)", errno);
  int close_result = ::close(fd);
  fd = -1;
  if (close_result != 0) fail("closing the temporary file", errno);
  if (::rename(temp.c_str(), path.c_str()) != 0) fail("renaming the temporary file over the target", errno);
  sync_dir(dir);
}

std::vector<uint8_t> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  GAN_CHECK(fd >= 0, IoError, "cannot open '", path, "': ", errno_text(errno), ".");

  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw IoError(detail::concat("cannot read '", path, "': ", errno_text(e), "."));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw IoError(detail::concat("cannot read '", path, "': it is a directory, not a file."));
  }

  // The size from fstat is a hint: pipes and /proc files report 0, and a file
  // may grow while we read. So fill the expected size directly, then keep
  // reading through a small buffer until read() reports end of file.
  std::vector<uint8_t> out(S_ISREG(st.st_mode) && st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0);
  size_t used = 0;
  uint8_t chunk[16384];
  for (;;) {
    const bool direct = used < out.size();
    uint8_t* dst = direct ? out.data() + used : chunk;
    const size_t room = direct ? out.size() - used : sizeof(chunk);
    ssize_t n = ::read(fd, dst, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      throw IoError(detail::concat("cannot read '", path, "': ", errno_text(e), "."));
    }
    if (n == 0) break;
    if (!direct) out.insert(out.end(), chunk, chunk + n);  // here out.size() == used
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(used);
  return out;
}

void check_writable_dir(const std::string& dir) {
  GAN_CHECK(!dir.empty(), IoError, "output directory path is empty; give a directory to write to");
  std::error_code ec;
  // A file in the way gets its own message; create_directories would only say "Not a directory".
  GAN_CHECK(!fs::exists(dir, ec) || fs::is_directory(dir, ec), IoError, "output path '", dir,
            "' exists but is not a directory. Choose a different output directory.");
  fs::create_directories(dir, ec);
  GAN_CHECK(!ec, IoError, "cannot create output directory '", dir, "': ", ec.message(),
            ". Choose a different output directory or fix its permissions.");
  GAN_CHECK(fs::is_directory(dir, ec), IoError, "output directory '", dir,
            "' could not be created. Choose a different output directory.");

  // Probe with a real create + write + fsync, the operations output writing
  // needs; access(W_OK) would miss read-only mounts on some systems and says
  // nothing about a full disk.
  const std::string probe =
      (fs::path(dir) / (".gan_write_probe." + std::to_string(::getpid()))).string();
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  GAN_CHECK(fd >= 0, IoError, "output directory '", dir, "' is not writable: ", errno_text(errno),
            ". Fix its permissions or choose a different output directory.");
  const char probe_bytes[] = "gan write probe\n";
  int err = write_all(fd, reinterpret_cast<const uint8_t*>(probe_bytes), sizeof(probe_bytes) - 1);
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  ::unlink(probe.c_str());
  GAN_CHECK(err == 0, IoError, "output directory '", dir, "' is not writable: ", errno_text(err),
            ". Free disk space or choose a different output directory.");
}

}  // namespace gan::io
