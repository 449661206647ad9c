# md2man.awk: turn the Markdown of docs/configuration.md into man(7) roff for shelfwatch.conf(5).
#
# Usage: awk -f md2man.awk docs/configuration.md > reference.roff
#
# Run at build time by cmake/package-file.cmake (POSIX awk: Debian's mawk is enough), so the
# reference in the man page is the reference in the docs and cannot drift from it. Handles the
# Markdown that file uses: the title (# becomes DESCRIPTION), ## and ### headings, paragraphs,
# "- " and "1. " lists with indented continuation lines, fenced code blocks, tables (a table
# whose first column is "setting" becomes one .TP entry per setting: name, type and default as
# the tag, the meaning and the valid values as the body), `code` (bold), **bold**, *italic*,
# and [links](target) (the text is kept). Anything else is an ordinary paragraph.

function flush_para() {
	if (para != "") {
		print ".PP"
		print text_line(inline(para))
	}
	para = ""
}

function flush_item() {
	if (item != "") {
		print ".IP " item_mark " " item_indent
		print text_line(inline(item))
	}
	item = ""
}

function flush_all() {
	flush_para()
	flush_item()
	table_rows = 0
}

# A line of running text must not start with a control character.
function text_line(s) {
	sub(/^[ \t]+/, "", s)
	if (s ~ /^[.']/)
		s = "\\&" s
	return s
}

# Backslashes first (roff's escape character), then the minus signs of literal text.
function roff_escape(s) {
	gsub(/\\/, "\\e", s)
	return s
}

function literal(s) {
	s = roff_escape(s)
	gsub(/-/, "\\-", s)
	return s
}

# Emphasis and links in text outside code spans.
function emphasis(s,    out, pre, m) {
	s = roff_escape(s)
	# [text](target) -> text
	out = ""
	while (match(s, /\[[^]]*\]\([^)]*\)/)) {
		m = substr(s, RSTART, RLENGTH)
		sub(/\]\(.*$/, "", m)
		out = out substr(s, 1, RSTART - 1) substr(m, 2)
		s = substr(s, RSTART + RLENGTH)
	}
	s = out s
	out = ""
	while (match(s, /\*\*[^*]+\*\*/)) {
		out = out substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 2, RLENGTH - 4) "\\fR"
		s = substr(s, RSTART + RLENGTH)
	}
	s = out s
	out = ""
	while (match(s, /\*[^* ][^*]*\*/)) {
		out = out substr(s, 1, RSTART - 1) "\\fI" substr(s, RSTART + 1, RLENGTH - 2) "\\fR"
		s = substr(s, RSTART + RLENGTH)
	}
	return out s
}

# Inline Markdown to roff: `code` in bold with real minus signs, the rest through emphasis().
function inline(s,    out, i) {
	gsub(/\001/, "|", s)
	out = ""
	while ((i = index(s, "`")) > 0) {
		out = out emphasis(substr(s, 1, i - 1))
		s = substr(s, i + 1)
		i = index(s, "`")
		if (i == 0) {
			out = out "`"
			break
		}
		out = out "\\fB" literal(substr(s, 1, i - 1)) "\\fR"
		s = substr(s, i + 1)
	}
	return out emphasis(s)
}

function trim(s) {
	sub(/^[ \t]+/, "", s)
	sub(/[ \t]+$/, "", s)
	return s
}

# Split a table row into cells[1..n]; an escaped \| stays in its cell.
function split_row(line, cells,    n, i) {
	gsub(/\\\|/, "\001", line)
	line = trim(line)
	sub(/^\|/, "", line)
	sub(/\|$/, "", line)
	n = split(line, cells, "|")
	for (i = 1; i <= n; i++)
		cells[i] = trim(cells[i])
	return n
}

function table_row(line,    cells, n, i, tag, body, h) {
	n = split_row(line, cells)
	if (table_rows++ == 0) {
		for (i = 1; i <= n; i++)
			header[i] = tolower(cells[i])
		ncols = n
		return
	}
	if (line ~ /^[ \t]*\|[ \t]*:?-+/)
		return # the separator under the header
	tag = "\\fB" inline(cells[1]) "\\fR"
	gsub(/\\fB\\fB/, "\\fB", tag)
	gsub(/\\fR\\fR/, "\\fR", tag)
	if (header[1] == "setting") {
		# name (type, default value)
		h = ""
		for (i = 2; i <= n; i++) {
			if (cells[i] == "")
				continue
			if (header[i] == "type")
				h = h (h == "" ? "" : ", ") "\\fI" inline(cells[i]) "\\fR"
			else if (header[i] == "default")
				h = h (h == "" ? "" : ", ") "default " inline(cells[i])
		}
		if (h != "")
			tag = tag " (" h ")"
	}
	print ".TP"
	print text_line(tag)
	body = 0
	for (i = 2; i <= n; i++) {
		if (cells[i] == "" || (header[1] == "setting" && (header[i] == "type" || header[i] == "default")))
			continue
		if (header[i] == "meaning") {
			if (body++)
				print ".br"
			print text_line(inline(cells[i]))
		}
	}
	for (i = 2; i <= n; i++) {
		if (cells[i] == "" || header[i] == "meaning" ||
		    (header[1] == "setting" && (header[i] == "type" || header[i] == "default")))
			continue
		if (body++)
			print ".br"
		h = header[i] == "range / format" ? "Valid values" : toupper(substr(header[i], 1, 1)) substr(header[i], 2)
		print text_line("\\fI" h ":\\fR " inline(cells[i]))
	}
}

BEGIN {
	para = ""
	item = ""
	in_code = 0
	table_rows = 0
}

# Fenced code blocks: verbatim, indented.
/^[ \t]*```/ {
	if (!in_code) {
		flush_all()
		print ".PP"
		print ".RS 4"
		print ".nf"
		in_code = 1
	} else {
		print ".fi"
		print ".RE"
		in_code = 0
	}
	next
}

in_code {
	line = literal($0)
	if (line ~ /^[.']/)
		line = "\\&" line
	print line
	next
}

/^[ \t]*$/ {
	flush_all()
	next
}

/^# / {
	flush_all()
	print ".SH DESCRIPTION"
	next
}

/^## / {
	flush_all()
	print ".SH " toupper(inline(substr($0, 4)))
	next
}

/^###+ / {
	flush_all()
	sub(/^###+ /, "")
	print ".SS " inline($0)
	next
}

/^[ \t]*\|/ {
	flush_para()
	flush_item()
	table_row($0)
	next
}

/^[-*] / {
	flush_para()
	flush_item()
	item_mark = "\\(bu"
	item_indent = 2
	item = substr($0, 3)
	next
}

/^[0-9]+\. / {
	flush_para()
	flush_item()
	item_mark = $1
	item_indent = 4
	item = substr($0, length($1) + 2)
	next
}

{
	if (item != "")
		item = item " " trim($0)
	else
		para = para (para == "" ? "" : " ") trim($0)
}

END {
	flush_all()
}
