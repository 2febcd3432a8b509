#include "apps/gan/app.h"

int main(int argc, char** argv) { return gan::app::run_cli(argc, argv); }
