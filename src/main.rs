//! The `fixrail` command line.
fn main() {}
