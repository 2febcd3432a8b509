#include "apps/gan/csv_log.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <sstream>

#include "core/error.h"
#include "core/io/atomic_file.h"

namespace gan::app {

namespace {

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "," : "") + parts[i];
  return out;
}

size_t count_fields(const std::string& line) {
  size_t n = 1;
  for (char c : line) n += c == ',';
  return n;
}

}  // namespace

CsvLog::CsvLog(std::string path, std::vector<std::string> columns, int64_t resume_step)
    : path_(std::move(path)), columns_(columns.size()) {
  const std::string header = join(columns);
  std::string kept = header + "\n";
  if (resume_step >= 0) {
    const std::vector<uint8_t> bytes = io::read_file(path_);
    std::istringstream in(std::string(bytes.begin(), bytes.end()));
    std::string line;
    std::getline(in, line);
    GAN_CHECK(line == header, IoError, path_, ": its columns are '", line, "', expected '", header,
              "': not this run's log");
    while (std::getline(in, line)) {
      if (in.eof() || count_fields(line) != columns_) break;  // a torn last line (no newline) ends the log
      char* end = nullptr;
      const long long step = std::strtoll(line.c_str(), &end, 10);
      if (end == line.c_str() || *end != ',' || step > resume_step) break;
      kept += line + "\n";
    }
  }
  io::write_file_atomic(path_, kept.data(), kept.size());
  file_ = std::fopen(path_.c_str(), "a");
  GAN_CHECK(file_ != nullptr, IoError, "cannot open ", path_, " for appending: ", std::strerror(errno));
}

CsvLog::~CsvLog() {
  if (file_) std::fclose(file_);
}

void CsvLog::append(int64_t step, const std::vector<double>& values) {
  GAN_CHECK(values.size() + 1 == columns_, ValueError, "CsvLog: ", values.size(), " values for ", columns_ - 1,
            " columns");
  std::string row = std::to_string(step);
  char buf[32];
  for (double v : values) {
    row += ',';
    if (std::isnan(v)) continue;  // not measured at this step: an empty field
    std::snprintf(buf, sizeof buf, "%.6g", v);
    row += buf;
  }
  row += "\n";
  const bool ok = std::fwrite(row.data(), 1, row.size(), file_) == row.size() && std::fflush(file_) == 0;
  GAN_CHECK(ok, IoError, "cannot write to ", path_, ": ", std::strerror(errno), " (disk full?)");
}

}  // namespace gan::app
