//! Runs the commands that the project's Markdown shows, against the examples they name, and
//! compares what each prints with what the page shows, through trycmd.
//!
//! ```text
//! doccheck EXAMPLES_DIR FILE.md...
//! ```
//!
//! A block that runs commands is a `console` block whose info string names its example,
//! ```` ```console greeter ````: its lines are `$ command` and the output that follows, the
//! command's standard output and error together (`[..]` stands for any text within a line,
//! `...` on a line of its own for any lines, `? CODE` after a command for its exit code). The
//! runner starts `EXAMPLES_DIR/greeter --addr 127.0.0.1:8080`, the address the pages use, and
//! runs each of its blocks. A block that does not run here says so: ```` ```sh not-run ````
//! (the README's own two commands, which CI runs as its steps), or names the script that runs
//! it, ```` ```sh interop/readme_python.sh ````. Any other `sh` block, or one without a
//! language, that calls curl, grpcurl, buf or cargo is refused: each command the pages show
//! either runs or says why not.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Where the examples listen: the address the pages' commands call.
const ADDR: &str = "127.0.0.1:8080";

/// The tools a block may call, found on `PATH`.
const TOOLS: &[&str] = &["curl", "grpcurl", "buf", "cargo"];

/// Commands whose blocks must say which example they run against.
const COMMANDS: &[&str] = &[
    "curl",
    "grpcurl",
    "buf",
    "cargo",
    "npx",
    "python3",
    "node",
    "redis-server",
];

/// The info string of a block that does not run.
const NOT_RUN: &str = "not-run";

/// One `console` block to run.
struct Block {
    /// Where it is: `docs/http.md:59`, the line of its opening fence.
    place: String,
    example: String,
    /// Its lines, unindented.
    body: String,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(examples), files) = (args.next(), args.collect::<Vec<_>>()) else {
        eprintln!("usage: doccheck EXAMPLES_DIR FILE.md...");
        return ExitCode::from(2);
    };
    let mut blocks = Vec::new();
    let mut refused = Vec::new();
    for file in &files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(error) => {
                eprintln!("doccheck: {file}: {error}");
                return ExitCode::FAILURE;
            }
        };
        read_blocks(file, &text, &mut blocks, &mut refused);
    }
    for block in &blocks {
        for tool in missing_tools(block) {
            refused.push(format!(
                "{}: `{tool}` is not a tool this runner has on PATH ({})",
                block.place,
                TOOLS.join(", ")
            ));
        }
    }
    if !refused.is_empty() {
        for refusal in &refused {
            eprintln!("doccheck: {refusal}");
        }
        return ExitCode::FAILURE;
    }
    let mut failed = Vec::new();
    for example in examples_in_order(&blocks) {
        let mine: Vec<&Block> = blocks.iter().filter(|b| b.example == example).collect();
        if let Err(error) = check_example(Path::new(&examples), &example, &mine) {
            eprintln!("doccheck: {example}: {error}");
            failed.push(example);
        }
    }
    let total = blocks.len();
    if failed.is_empty() {
        println!("doccheck: {total} blocks ran as the pages show them");
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "doccheck: the blocks of {} failed: {}",
            failed.len(),
            failed.join(", ")
        );
        ExitCode::FAILURE
    }
}

/// Reads the fenced blocks of one page: the `console` blocks to run into `blocks`, and what is
/// wrong with the others into `refused`.
fn read_blocks(file: &str, text: &str, blocks: &mut Vec<Block>, refused: &mut Vec<String>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
        if ticks < 3 {
            i += 1;
            continue;
        }
        let fence = &trimmed[..ticks];
        let info = trimmed[ticks..].trim();
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && lines[end].trim() != fence {
            end += 1;
        }
        let body: String = lines[start..end.min(lines.len())]
            .iter()
            .map(|l| format!("{}\n", l.get(indent..).unwrap_or(l.trim_start())))
            .collect();
        let place = format!("{file}:{start}");
        let mut words = info.split_whitespace();
        let (lang, marker) = (words.next(), words.next());
        match (lang, marker) {
            // Says it does not run here, or names the script that runs it.
            (_, Some(NOT_RUN)) => {}
            (Some("sh"), Some(script)) if Path::new(script).is_file() => {}
            (Some("console"), Some(example)) => blocks.push(Block {
                place,
                example: example.to_owned(),
                body,
            }),
            (Some("console"), None) => refused.push(format!(
                "{place}: a console block names its example (```console greeter) or says \
                 ```console {NOT_RUN}"
            )),
            (None | Some("sh" | "bash" | "shell"), _) if runs_commands(&body) => {
                refused.push(format!(
                    "{place}: this block runs commands: make it a console block that names \
                     its example (```console greeter), or mark it ```sh {NOT_RUN} or with the \
                     script that runs it (```sh interop/readme_python.sh)"
                ))
            }
            _ => {}
        }
        i = end + 1;
    }
}

/// A block's steps as trycmd reads them: trycmd takes the last line end of each step's output
/// for the page's formatting, so each gets one more, and a command's output that ends its
/// last line compares equal to the lines the page shows.
fn with_line_ends(body: &str) -> String {
    let mut out = String::new();
    for (i, line) in body.lines().enumerate() {
        if i > 0 && line.starts_with("$ ") {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out
}

/// The tools a block calls that are not among [`TOOLS`] on `PATH`: trycmd would skip their
/// steps as ignored.
fn missing_tools(block: &Block) -> Vec<String> {
    block
        .body
        .lines()
        .filter_map(|line| line.strip_prefix("$ "))
        .filter_map(|command| {
            command
                .split_whitespace()
                .find(|word| !word.contains('='))
                .map(str::to_owned)
        })
        .filter(|tool| !TOOLS.contains(&tool.as_str()) || on_path(tool).is_none())
        .collect()
}

/// Whether a line of the block starts with one of [`COMMANDS`].
fn runs_commands(body: &str) -> bool {
    body.lines().any(|line| {
        let line = line.trim_start().trim_start_matches("$ ");
        let first = line.split_whitespace().next().unwrap_or("");
        COMMANDS.contains(&first)
    })
}

/// The examples the blocks name, each once, in the order of their first block.
fn examples_in_order(blocks: &[Block]) -> Vec<String> {
    let mut examples: Vec<String> = Vec::new();
    for block in blocks {
        if !examples.contains(&block.example) {
            examples.push(block.example.clone());
        }
    }
    examples
}

/// Starts `example` and runs its blocks through trycmd.
fn check_example(examples: &Path, example: &str, blocks: &[&Block]) -> Result<(), String> {
    let dir = PathBuf::from(std::env::var_os("CARGO_TARGET_DIR").unwrap_or("target".into()))
        .join("doccheck")
        .join(example);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for block in blocks {
        let name = block.place.replace(['/', ':', '.'], "_");
        let case = format!(
            "<!-- {} -->\n```console\n{}```\n",
            block.place,
            with_line_ends(&block.body)
        );
        std::fs::write(dir.join(format!("{name}.md")), case).map_err(|e| e.to_string())?;
        println!("doccheck: {} runs against {example}", block.place);
    }
    let _server = Server::start(&examples.join(example))?;
    let cases = trycmd::TestCases::new();
    cases.case(dir.join("*.md"));
    for tool in TOOLS {
        if let Some(path) = on_path(tool) {
            cases.register_bin(*tool, path);
        }
    }
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cases.run()))
        .map_err(|_| "a block printed other than its page shows (above)".to_owned())
}

/// `name`'s file in a directory of `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// An example listening on [`ADDR`], stopped when dropped.
struct Server(Child);

impl Server {
    fn start(binary: &Path) -> Result<Server, String> {
        let mut child = Command::new(binary)
            .args(["--addr", ADDR])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let server = Server(child);
        let (listening, ready) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("listening on ") {
                    let _ = listening.send(());
                }
            }
        });
        ready
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| format!("{} did not listen on {ADDR} within 30 s", binary.display()))?;
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<Block>, Vec<String>) {
        let (mut blocks, mut refused) = (Vec::new(), Vec::new());
        read_blocks("page.md", text, &mut blocks, &mut refused);
        (blocks, refused)
    }

    #[test]
    fn a_console_block_runs_against_the_example_it_names() {
        let (blocks, refused) = read("text\n\n  ```console greeter\n  $ curl -s x\n  ok\n  ```\n");
        assert!(refused.is_empty(), "{refused:?}");
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].place, "page.md:3");
        assert_eq!(blocks[0].example, "greeter");
        assert_eq!(blocks[0].body, "$ curl -s x\nok\n");
    }

    #[test]
    fn a_command_block_that_says_nothing_is_refused() {
        for text in [
            "```sh\ncurl -s x\n```\n",
            "```\n$ buf curl x\n```\n",
            "```console\n$ curl x\n```\n",
        ] {
            let (blocks, refused) = read(text);
            assert!(blocks.is_empty(), "{text}");
            assert_eq!(refused.len(), 1, "{text}");
            assert!(refused[0].starts_with("page.md:1: "), "{}", refused[0]);
        }
    }

    #[test]
    fn blocks_that_do_not_run_here_say_so() {
        for text in [
            "```sh not-run\ncargo test --workspace\n```\n",
            "```sh Cargo.toml\ncargo run --example greeter\n```\n",
            "```rust\nlet curl = 1;\n```\n",
            "```text\ncurl is mentioned\n```\n",
        ] {
            let (blocks, refused) = read(text);
            assert!(
                blocks.is_empty() && refused.is_empty(),
                "{text}: {refused:?}"
            );
        }
        // A script marker must name a file that exists.
        let (_, refused) = read("```sh no/such/script.sh\ncurl x\n```\n");
        assert_eq!(refused.len(), 1);
    }

    #[test]
    fn each_step_ends_its_output_with_one_more_line_end() {
        assert_eq!(
            with_line_ends("$ a\none\n$ b\n? 24\ntwo\n"),
            "$ a\none\n\n$ b\n? 24\ntwo\n\n"
        );
    }
}
