//! The `ratedoctor` binary: everything lives in the library; this only hands over the
//! process exit code.

fn main() {
    std::process::exit(ratedoctor::run());
}
