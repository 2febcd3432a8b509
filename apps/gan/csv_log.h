// A CSV of per-step training numbers ("step,loss_D,loss_G,...") that survives
// restarts. Starting fresh writes the header; resuming at step s keeps the rows
// with step <= s (dropping what a killed run logged after its last checkpoint,
// and a torn last line) and appends from there, so the file always reads as
// one run. Rows are flushed as they are written.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace gan::app {

class CsvLog {
 public:
  // resume_step < 0: start a new file (replacing any old one). IoError if the
  // file cannot be written, or (when resuming) is missing or has other columns.
  CsvLog(std::string path, std::vector<std::string> columns, int64_t resume_step);
  ~CsvLog();
  CsvLog(const CsvLog&) = delete;
  CsvLog& operator=(const CsvLog&) = delete;

  // One row: the step, then one value per column after "step"; NaN means not
  // measured at this step and is written as an empty field.
  void append(int64_t step, const std::vector<double>& values);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  size_t columns_;
  std::FILE* file_ = nullptr;
};

}  // namespace gan::app
