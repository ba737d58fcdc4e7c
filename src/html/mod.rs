//! The HTML report (`--html FILE`): one self-contained page that opens offline in any browser.
//!
//! Everything is inline: the style, a small script (sorting, filtering, the `#filter=…` address), the charts
//! (SVG) and the overlay thumbnails (JPEG, `data:` addresses). A Content-Security-Policy forbids every network
//! request, so a page cannot reach out even if a name in it tried. Every text from outside (file names,
//! reasons, messages) is HTML-escaped. The bytes depend only on the reports and the pictures, never on the
//! time or the thread count.
//!
//! The page is written as the results come ([`Page::item`] per image, in input order), so a folder of
//! thousands of photos never holds more than one thumbnail in memory; the summary is known only at the end,
//! so it is written last and shown first by the style (`order: -1`).

pub mod analyze;
pub mod compare;

use std::fmt::Write as _;
use std::io::{self, Write};

use base64::Engine as _;
use image::RgbImage;

/// Longest side of a thumbnail of one photo's overlay, px.
pub const THUMB_MAX_SIDE: u32 = 256;
/// Longest side of a thumbnail of a before/after pair (two panels side by side), px.
pub const PAIR_THUMB_MAX_SIDE: u32 = 384;
/// JPEG quality of the thumbnails: small files, rings and labels still clear.
const THUMB_QUALITY: u8 = 60;

/// The notice every page carries once.
pub const NOTICE: &str = "scarscope is not a medical device. This report describes what is typical in the \
dermatology literature for the kind of picture it sees; it is not a diagnosis and not treatment advice. Depth \
is a relative proxy read from shading, never millimetres.";

/// Opens `--html FILE` for writing (atomically, like `-o`), or `None` when not asked for. Refuses, before any
/// work, a folder, and the file `-o` writes (one would silently replace the other).
pub fn open(
    common: &crate::cli::CommonArgs,
) -> anyhow::Result<Option<crate::output::AtomicOutput>> {
    use crate::output::{resolve_output_for, OutputTarget};
    let Some(html) = common.html.as_deref() else {
        return Ok(None);
    };
    if let Some(o) = common.output.as_deref() {
        // Compare real places: the folder resolved, then the name, so `r.html` and `./r.html` are one file.
        let place = |t: OutputTarget| match t {
            OutputTarget::Regular(p, _) | OutputTarget::Special(p) => {
                let dir = match p.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => std::path::PathBuf::from("."),
                };
                (
                    dir.canonicalize().unwrap_or(dir),
                    p.file_name().map(|n| n.to_owned()),
                )
            }
        };
        let (a, b) = (
            place(resolve_output_for("-o", o)?),
            place(resolve_output_for("--html", html)?),
        );
        if a == b {
            return Err(crate::batch::UsageError(format!(
                "--html {} and -o {} name the same file; give the HTML report a name of its own",
                html.display(),
                o.display()
            ))
            .into());
        }
    }
    Ok(Some(crate::output::AtomicOutput::create_for(
        "--html",
        Some(html),
    )?))
}

/// A JPEG thumbnail of an overlay, ready for a `data:` address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// JPEG bytes.
    pub jpeg: Vec<u8>,
    /// Width in px.
    pub width: u32,
    /// Height in px.
    pub height: u32,
}

impl Thumbnail {
    /// Shrinks `img` to at most `max_side` px on its longest side (never enlarges) and encodes it as JPEG.
    pub fn of(img: &RgbImage, max_side: u32) -> anyhow::Result<Thumbnail> {
        let small = shrink_to_fit(img, max_side);
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, THUMB_QUALITY)
            .encode_image(&small)
            .map_err(|e| anyhow::anyhow!("thumbnail encoding failed: {e}"))?;
        Ok(Thumbnail {
            jpeg,
            width: small.width(),
            height: small.height(),
        })
    }

    /// An `<img>` element showing the thumbnail, with `alt` text.
    pub fn img_tag(&self, alt: &str) -> String {
        format!(
            "<img class=\"thumb\" alt=\"{}\" width=\"{}\" height=\"{}\" decoding=\"async\" loading=\"lazy\" \
             src=\"data:image/jpeg;base64,{}\">",
            esc(alt),
            self.width,
            self.height,
            base64::engine::general_purpose::STANDARD.encode(&self.jpeg)
        )
    }
}

/// HTML-escapes text for element content and quoted attribute values. Control characters (a newline in a
/// file name) are shown as escapes (`\n`), as the table output shows them.
pub fn esc(s: &str) -> String {
    let s = crate::output::one_line_text(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number for the page: fixed decimals, `–` when unknown.
pub fn num(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.decimals$}"),
        _ => "–".to_string(),
    }
}

/// A column of the table.
pub struct Column {
    /// Heading.
    pub label: &'static str,
    /// Whether it sorts as numbers (otherwise as text).
    pub numeric: bool,
}

/// A filter menu: items carry `data-NAME="value"`, the menu shows those values.
pub struct Facet {
    /// Attribute name and `#NAME=` key.
    pub name: &'static str,
    /// Label before the menu.
    pub label: &'static str,
    /// The values offered.
    pub values: Vec<String>,
}

/// `img` shrunk to at most `max_side` px on its longest side (never enlarged). `thumbnail` averages whole
/// source pixels: fast on 12-megapixel photos, and exact integer maths, so the bytes are the same on every
/// machine.
pub fn shrink_to_fit(img: &RgbImage, max_side: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    let long = w.max(h).max(1);
    if long <= max_side {
        return img.clone();
    }
    let f = max_side as f64 / long as f64;
    image::imageops::thumbnail(
        img,
        ((w as f64 * f).round() as u32).max(1),
        ((h as f64 * f).round() as u32).max(1),
    )
}

/// One table cell: what it shows (HTML, already escaped) and what it sorts by.
pub struct Cell {
    /// Escaped HTML shown.
    pub html: String,
    /// Sort key: a number for numeric columns (empty when unknown), text otherwise.
    pub sort: String,
}

impl Cell {
    /// A text cell shown and sorted as the text.
    pub fn text(s: &str) -> Cell {
        Cell {
            html: esc(s),
            sort: s.to_lowercase(),
        }
    }

    /// The index cell: the row's number, sorted by it.
    pub fn index(i: usize) -> Cell {
        Cell {
            html: i.to_string(),
            sort: i.to_string(),
        }
    }

    /// The status cell: `ok`, or `error` marked for the eye; sorted by `status`.
    pub fn status(ok: bool, status: &str) -> Cell {
        Cell {
            html: if ok {
                "ok".into()
            } else {
                "<span class=\"err\">error</span>".into()
            },
            sort: status.into(),
        }
    }

    /// The verdict cell, coloured by its class (`v-typical`, ...) and written with spaces.
    pub fn verdict(verdict: &str) -> Cell {
        Cell {
            html: format!(
                "<span class=\"v-{}\">{}</span>",
                esc(verdict),
                esc(&verdict.replace('_', " "))
            ),
            sort: verdict.into(),
        }
    }

    /// A numeric cell with `decimals` decimals; unknown sorts last.
    pub fn number(v: Option<f64>, decimals: usize) -> Cell {
        Cell {
            html: num(v, decimals),
            sort: v
                .filter(|x| x.is_finite())
                .map(|x| format!("{x}"))
                .unwrap_or_default(),
        }
    }
}

/// A page being written: [`Page::begin`], [`Page::item`] per image or pair, then [`Page::end`].
pub struct Page<W: Write> {
    out: W,
    columns: usize,
    items: usize,
}

impl<W: Write> Page<W> {
    /// Writes the head, the notice, the filter controls and the table's head.
    pub fn begin(
        mut out: W,
        title: &str,
        subtitle: &str,
        list_title: &str,
        columns: &[Column],
        facets: &[Facet],
        legend_html: &str,
    ) -> io::Result<Self> {
        write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; \
             style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{}</h1>\n<p>{}</p>\n\
             <p class=\"notice\" id=\"notice\">{}</p>\n</header>\n<main>\n",
            esc(title),
            esc(title),
            esc(subtitle),
            esc(NOTICE)
        )?;
        writeln!(
            out,
            "<section id=\"list\">\n<h2>{}</h2>\n{legend_html}",
            esc(list_title)
        )?;
        let mut controls = String::from(
            "<div class=\"controls\"><label>Filter <input id=\"q\" type=\"search\" \
             placeholder=\"path, verdict, family…\"></label>",
        );
        for f in facets {
            let _ = write!(
                controls,
                " <label>{} <select data-facet=\"{}\"><option value=\"\">all</option>",
                esc(f.label),
                esc(f.name)
            );
            for v in &f.values {
                let _ = write!(controls, "<option>{}</option>", esc(v));
            }
            controls.push_str("</select></label>");
        }
        controls.push_str(
            " <label><input id=\"details\" type=\"checkbox\" checked> pictures and reasons</label> \
             <span id=\"shown\"></span></div>",
        );
        writeln!(out, "{controls}")?;
        write!(out, "<table id=\"items\">\n<thead><tr>")?;
        for (k, c) in columns.iter().enumerate() {
            write!(
                out,
                "<th data-col=\"{k}\" tabindex=\"0\"{}>{}</th>",
                if c.numeric { " data-num=\"1\"" } else { "" },
                esc(c.label)
            )?;
        }
        writeln!(out, "</tr></thead>")?;
        Ok(Page {
            out,
            columns: columns.len(),
            items: 0,
        })
    }

    /// Writes one image or pair: its row, then under it its thumbnail (`picture_html`) beside its details
    /// (reasons, notes).
    ///
    /// `facets` are the item's (name, value) for the filter menus; `search` is the text the filter box
    /// searches.
    pub fn item(
        &mut self,
        cells: &[Cell],
        facets: &[(&str, &str)],
        search: &str,
        picture_html: &str,
        details_html: &str,
    ) -> io::Result<()> {
        let mut attrs = String::new();
        for (k, v) in facets {
            let _ = write!(attrs, " data-{}=\"{}\"", esc(k), esc(v));
        }
        write!(
            self.out,
            "<tbody class=\"item\" id=\"item-{}\" data-i=\"{}\"{attrs} data-search=\"{}\"><tr class=\"row\">",
            self.items + 1,
            self.items,
            esc(&search.to_lowercase())
        )?;
        for c in cells {
            write!(self.out, "<td data-v=\"{}\">{}</td>", esc(&c.sort), c.html)?;
        }
        writeln!(
            self.out,
            "</tr><tr class=\"detail\"><td colspan=\"{}\"><div class=\"det\">{picture_html}<div class=\"info\">\
             {details_html}</div></div></td></tr></tbody>",
            self.columns
        )?;
        self.items += 1;
        Ok(())
    }

    /// Closes the table, writes the summary (shown first by the style) and the script; returns the writer.
    pub fn end(mut self, summary_html: &str) -> io::Result<W> {
        writeln!(
            self.out,
            "</table>\n</section>\n<section id=\"summary\">\n{summary_html}\n</section>\n</main>\n\
             <script>{SCRIPT}</script>\n</body>\n</html>"
        )?;
        Ok(self.out)
    }
}

/// One bar of a chart: label, count, colour (CSS).
pub struct Bar<'a> {
    /// What is counted.
    pub label: &'a str,
    /// How many.
    pub count: usize,
    /// Fill colour, e.g. `#3a7`.
    pub colour: &'a str,
}

/// A small horizontal bar chart as inline SVG, bars scaled to the largest count.
pub fn bar_chart(title: &str, bars: &[Bar]) -> String {
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row) = (110.0, 160.0, 22.0);
    let h = row * bars.len() as f64 + 4.0;
    let mut s = format!(
        "<figure class=\"chart\"><figcaption>{}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{}\" height=\"{h}\" viewBox=\"0 0 {} {h}\" role=\"img\" aria-label=\"{}\">",
        esc(title),
        label_w + bar_w + 50.0,
        label_w + bar_w + 50.0,
        esc(title)
    );
    for (k, b) in bars.iter().enumerate() {
        let y = k as f64 * row + 2.0;
        let w = (bar_w * b.count as f64 / max as f64 * 10.0).round() / 10.0;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{w}\" height=\"{}\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            label_w - 6.0,
            y + 15.0,
            esc(b.label),
            row - 6.0,
            esc(b.colour),
            label_w + w + 5.0,
            y + 15.0,
            b.count
        );
    }
    s.push_str("</svg></figure>");
    s
}

/// A bulleted list of escaped sentences (nothing when empty).
pub fn list(items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut s = String::from("<ul>");
    for i in items {
        let _ = write!(s, "<li>{}</li>", esc(i));
    }
    s.push_str("</ul>");
    s
}

/// The style of every page.
const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d1d1f;background:#f6f6f4}
header{background:#20242a;color:#f2f2f2;padding:14px 24px}
header h1{margin:0 0 4px;font-size:20px}
header p{margin:2px 0}
.notice{background:#fff4d6;color:#4a3a00;border-left:4px solid #e0a800;padding:6px 10px;margin-top:8px!important}
main{display:flex;flex-direction:column;padding:0 24px 24px}
#summary{order:-1}
h2{font-size:17px;margin:18px 0 8px}
.charts{display:flex;flex-wrap:wrap;gap:8px 32px}
figure.chart{margin:0}
figcaption{font-weight:600;margin-bottom:2px}
svg text{font:12px system-ui,"DejaVu Sans",sans-serif;fill:#1d1d1f}
.totals span{margin-right:18px}
.controls{display:flex;flex-wrap:wrap;gap:6px 16px;align-items:center;margin:8px 0}
.controls input[type=search]{width:16em}
#shown{color:#555}
table{border-collapse:collapse;width:100%;background:#fff}
th{position:sticky;top:0;background:#e9e9e6;text-align:left;padding:6px 8px;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" \25B2"}
th[aria-sort=descending]::after{content:" \25BC"}
td{padding:4px 8px;vertical-align:top}
tbody.item{border-top:1px solid #d6d6d2}
tr.row td:nth-child(2){overflow-wrap:anywhere;min-width:12em}
tr.detail td{padding:2px 8px 12px}
table.compact tr.detail{display:none}
[hidden]{display:none!important}
.det{display:flex;gap:14px;align-items:flex-start}
.info{flex:1;min-width:0}
.thumb{border:1px solid #ccc;max-width:45%;height:auto;flex:none}
.facts{margin:0;color:#333}
.facts b{font-weight:600}
.err{color:#a10000;font-weight:600}
.st-error td{background:#fff0f0}
ul{margin:4px 0 4px 18px;padding:0}
details{margin-top:4px}
details table{width:auto;font-size:12px}
details td,details th{padding:1px 6px;position:static}
.legend span.sw{display:inline-block;width:11px;height:11px;margin:0 4px 0 10px;vertical-align:baseline;border:1px solid #0003}
.legend{font-size:13px;color:#333}
.v-typical,.v-improved{color:#0a6a1a;font-weight:600}
.v-not_typical,.v-worse{color:#9a1010;font-weight:600}
"#;

/// Sorting, filtering and the address: `#filter=TEXT&status=ok&verdict=typical&sort=3&dir=desc` opens the
/// page filtered and sorted (a link can share a view; the browser test reads it back).
const SCRIPT: &str = r##"
(function(){
"use strict";
var table=document.getElementById("items");
var items=Array.prototype.slice.call(table.querySelectorAll("tbody.item"));
var q=document.getElementById("q");
var facets=Array.prototype.slice.call(document.querySelectorAll("select[data-facet]"));
var shown=document.getElementById("shown");
var details=document.getElementById("details");
var heads=Array.prototype.slice.call(table.querySelectorAll("th"));
var sortCol=-1,sortDir=1,ready=false;
function apply(){
  var text=q.value.trim().toLowerCase(),n=0;
  items.forEach(function(it){
    var ok=!text||it.getAttribute("data-search").indexOf(text)>=0;
    facets.forEach(function(f){
      if(f.value&&it.getAttribute("data-"+f.getAttribute("data-facet"))!==f.value){ok=false;}
    });
    it.hidden=!ok;
    if(ok){n++;}
  });
  shown.textContent=n+" of "+items.length+" shown";
  table.classList.toggle("compact",!details.checked);
  save();
}
function key(it,col,num){
  if(col<0){return Number(it.getAttribute("data-i"));}
  var v=it.rows[0].cells[col].getAttribute("data-v");
  if(!num){return v;}
  return v===""?null:Number(v);
}
function sort(){
  var num=sortCol>=0&&heads[sortCol].hasAttribute("data-num");
  var sorted=items.slice().sort(function(a,b){
    var x=key(a,sortCol,num),y=key(b,sortCol,num),c=0;
    if(x===null||y===null){c=(x===null)-(y===null);return c||(key(a,-1)-key(b,-1));}
    c=num||sortCol<0?x-y:(x<y?-1:x>y?1:0);
    return c*sortDir||(key(a,-1)-key(b,-1));
  });
  sorted.forEach(function(it){table.appendChild(it);});
  heads.forEach(function(h,k){
    if(k===sortCol){h.setAttribute("aria-sort",sortDir>0?"ascending":"descending");}
    else{h.removeAttribute("aria-sort");}
  });
  save();
}
function save(){
  if(!ready){return;}
  var p=[];
  if(q.value){p.push("filter="+encodeURIComponent(q.value));}
  facets.forEach(function(f){if(f.value){p.push(f.getAttribute("data-facet")+"="+encodeURIComponent(f.value));}});
  if(sortCol>=0){p.push("sort="+sortCol);if(sortDir<0){p.push("dir=desc");}}
  if(!details.checked){p.push("details=off");}
  try{history.replaceState(null,"",p.length?"#"+p.join("&"):location.pathname);}catch(e){}
}
function load(){
  var h=location.hash.replace(/^#/,"");
  h.split("&").forEach(function(kv){
    var i=kv.indexOf("="),k=i<0?kv:kv.slice(0,i),v="";
    try{v=i<0?"":decodeURIComponent(kv.slice(i+1).replace(/\+/g," "));}catch(e){return;}
    if(k==="filter"){q.value=v;}
    else if(k==="sort"){sortCol=Math.min(Number(v)||0,heads.length-1);}
    else if(k==="dir"){sortDir=v==="desc"?-1:1;}
    else if(k==="details"){details.checked=v!=="off";}
    else{facets.forEach(function(f){if(f.getAttribute("data-facet")===k){f.value=v;}});}
  });
}
heads.forEach(function(h,k){
  h.addEventListener("click",function(){
    if(sortCol===k){sortDir=-sortDir;}else{sortCol=k;sortDir=1;}
    sort();
  });
  h.addEventListener("keydown",function(e){
    if(e.key==="Enter"||e.key===" "){e.preventDefault();h.click();}
  });
});
q.addEventListener("input",apply);
details.addEventListener("change",apply);
facets.forEach(function(f){f.addEventListener("change",apply);});
load();
if(sortCol>=0){sort();}
apply();
ready=true;
})();
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_control_characters() {
        assert_eq!(
            esc("<script>alert('x')</script>&\"a\".jpg"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;a&quot;.jpg"
        );
        assert_eq!(esc("new\nline.jpg"), "new\\nline.jpg");
        assert_eq!(esc("Ünïcode Box (13).jpg"), "Ünïcode Box (13).jpg");
    }

    #[test]
    fn thumbnails_are_small_jpegs_and_deterministic() {
        let img = RgbImage::from_fn(1200, 900, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        });
        let t = Thumbnail::of(&img, THUMB_MAX_SIDE).expect("thumbnail");
        assert_eq!((t.width, t.height), (256, 192));
        assert_eq!(&t.jpeg[..2], &[0xFF, 0xD8], "a JPEG");
        assert_eq!(t, Thumbnail::of(&img, THUMB_MAX_SIDE).expect("again"));
        let small = RgbImage::new(100, 40);
        let t = Thumbnail::of(&small, THUMB_MAX_SIDE).expect("small");
        assert_eq!((t.width, t.height), (100, 40), "never enlarged");
        assert!(t.img_tag("a \"b\"").contains("alt=\"a &quot;b&quot;\""));
        assert!(t.img_tag("x").contains("src=\"data:image/jpeg;base64,/9j/"));
    }

    #[test]
    fn chart_scales_bars_to_the_largest_count() {
        let svg = bar_chart(
            "Verdicts",
            &[
                Bar {
                    label: "typical",
                    count: 4,
                    colour: "#3a3",
                },
                Bar {
                    label: "<b>",
                    count: 2,
                    colour: "#a33",
                },
            ],
        );
        assert!(
            svg.contains("width=\"160\" height=\"16\" fill=\"#3a3\""),
            "{svg}"
        );
        assert!(
            svg.contains("width=\"80\" height=\"16\" fill=\"#a33\""),
            "{svg}"
        );
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
    }
}
