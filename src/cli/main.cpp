// main: entry point of the `estafeta` binary (placeholder until the CLI lands).
int main() { return 0; }
