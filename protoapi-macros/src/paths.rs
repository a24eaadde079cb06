//! HTTP path patterns: `/segment/:param/*rest`, checked and turned into axum's syntax.

/// A parsed path pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathPattern {
    /// The path in axum's syntax: `/students/{sno}`, `/files/{*rest}`.
    pub axum: String,
    /// The path with every parameter replaced by `{}` (`{*}` for the rest): routes of one shape
    /// clash. The service check uses it, and it is emitted into `HttpRoute::shape` for the
    /// runtime's check across services.
    pub shape: String,
    /// Parameter names in order.
    pub params: Vec<String>,
}

/// Parses `/segment/:param/*rest`. Errors say what is wrong.
pub fn parse(path: &str) -> Result<PathPattern, String> {
    if !path.starts_with('/') {
        return Err("an HTTP path starts with `/`".to_owned());
    }
    if path == "/" {
        return Ok(PathPattern {
            axum: "/".to_owned(),
            shape: "/".to_owned(),
            params: Vec::new(),
        });
    }
    if path.ends_with('/') {
        return Err("an HTTP path does not end with `/`".to_owned());
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    let mut axum = String::new();
    let mut shape = String::new();
    let mut params: Vec<String> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        axum.push('/');
        shape.push('/');
        if segment.is_empty() {
            return Err("an HTTP path has no empty segments (`//`)".to_owned());
        }
        let (param, rest) = if let Some(name) = segment.strip_prefix(':') {
            (Some(name), false)
        } else if let Some(name) = segment.strip_prefix('*') {
            if i + 1 != segments.len() {
                return Err(format!(
                    "`*{name}` takes the rest of the path, so it comes last"
                ));
            }
            (Some(name), true)
        } else {
            (None, false)
        };
        match param {
            Some(name) => {
                if !crate::names::is_proto_ident(name) || name == "_" {
                    return Err(format!(
                        "`{segment}`: a path parameter is `:name` or `*name`, with `name` an identifier"
                    ));
                }
                if params.iter().any(|p| p == name) {
                    return Err(format!("path parameter `{name}` appears twice"));
                }
                params.push(name.to_owned());
                if rest {
                    axum.push_str(&format!("{{*{name}}}"));
                    shape.push_str("{*}");
                } else {
                    axum.push_str(&format!("{{{name}}}"));
                    shape.push_str("{}");
                }
            }
            None => {
                if let Some(c) = segment
                    .chars()
                    .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')))
                {
                    return Err(format!(
                        "character `{c}` is not allowed in an HTTP path: use letters, digits, `/`, `-`, `_`, `.` and `~`, and `:name` or `*name` for parameters"
                    ));
                }
                axum.push_str(segment);
                shape.push_str(segment);
            }
        }
    }
    Ok(PathPattern {
        axum,
        shape,
        params,
    })
}

/// Splits `64MiB` into 64 and `MiB`: leading digits, then the rest trimmed; `what` and
/// `example` name the quantity in the error when there are no digits.
fn number_and_unit<'a>(text: &'a str, what: &str, example: &str) -> Result<(u64, &'a str), String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number = number.parse().map_err(|_| {
        format!("`{text}` is not a {what}: write a number and a unit, such as `{example}`")
    })?;
    Ok((number, unit.trim()))
}

/// Parses a duration such as `500ms`, `5s`, `2m` or `1h` into milliseconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = number_and_unit(text, "duration", "5s")?;
    let factor: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "" => return Err(format!("`{text}` has no unit: use ms, s, m or h")),
        other => {
            return Err(format!(
                "unknown duration unit `{other}`: use ms, s, m or h"
            ));
        }
    };
    let millis = number
        .checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too long"))?;
    if millis == 0 {
        return Err("a timeout is at least one millisecond".to_owned());
    }
    Ok(millis)
}

/// Parses a size such as `64MiB`, `1GiB`, `512KB` or `1000` (bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = number_and_unit(text, "size", "64MiB")?;
    let factor: u64 = match unit {
        "" | "B" => 1,
        "KB" => 1_000,
        "KiB" => 1 << 10,
        "MB" => 1_000_000,
        "MiB" => 1 << 20,
        "GB" => 1_000_000_000,
        "GiB" => 1 << 30,
        "TB" => 1_000_000_000_000,
        "TiB" => 1 << 40,
        other => {
            return Err(format!(
                "unknown size unit `{other}`: use B, KB, KiB, MB, MiB, GB, GiB, TB or TiB"
            ));
        }
    };
    let bytes = number
        .checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large"))?;
    if bytes == 0 {
        return Err("a limit is at least one byte".to_owned());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::{parse, parse_duration, parse_size};

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("5s"), Ok(5_000));
        assert_eq!(parse_duration(" 2m "), Ok(120_000));
        assert_eq!(parse_duration("1h"), Ok(3_600_000));
        assert_eq!(
            parse_duration("5"),
            Err("`5` has no unit: use ms, s, m or h".to_owned())
        );
        assert_eq!(
            parse_duration("5d"),
            Err("unknown duration unit `d`: use ms, s, m or h".to_owned())
        );
        assert_eq!(
            parse_duration("0s"),
            Err("a timeout is at least one millisecond".to_owned())
        );
        assert_eq!(
            parse_duration("s"),
            Err("`s` is not a duration: write a number and a unit, such as `5s`".to_owned())
        );
    }

    #[test]
    fn patterns() {
        let p = parse("/demo/students/:sno").expect("valid");
        assert_eq!(
            (p.axum.as_str(), p.shape.as_str()),
            ("/demo/students/{sno}", "/demo/students/{}")
        );
        assert_eq!(p.params, ["sno"]);
        let p = parse("/files/*path").expect("valid");
        assert_eq!(
            (p.axum.as_str(), p.params.as_slice()),
            ("/files/{*path}", &["path".to_owned()][..])
        );
        assert_eq!(
            parse("/a/*b/c").expect_err("rest last"),
            "`*b` takes the rest of the path, so it comes last"
        );
        assert_eq!(
            parse("/a/:x/:x").expect_err("twice"),
            "path parameter `x` appears twice"
        );
        assert!(parse("/a/{x}").is_err());
        assert!(parse("a").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("64 MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(
            parse_size("5 parsecs"),
            Err(
                "unknown size unit `parsecs`: use B, KB, KiB, MB, MiB, GB, GiB, TB or TiB"
                    .to_owned()
            )
        );
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("0").is_err());
    }
}
