#include "kiln/dockerfile/lexer.hpp"

#include <chrono>

#include <gtest/gtest.h>

#include "kiln/base/strings.hpp"

namespace kiln::dockerfile {
namespace {

// input | expected ("error" for a failure). Environment: PWD=/home SHELL=bash KOREAN=한국어 NULL=.
const char* k_table = R"TABLE(
hello                    |hello
he'll'o                  |hello
he'llo                   |error
he\'llo                  |he'llo
he\\'llo                 |error
abc\tdef                 |abctdef
"abc\tdef"               |abc\tdef
"abc\\tdef"              |abc\tdef
'abc\tdef'               |abc\tdef
hello\                   |hello
hello\\                  |hello\
"hello                   |error
"hello\"                 |error
"hel'lo"                 |hel'lo
'hello                   |error
'hello\'                 |hello\
'hello\there'            |hello\there
'hello\\there'           |hello\\there
"''"                     |''
$.                       |$.
he$1x                    |hex
he$.x                    |he$.x
he$pwd.                  |he.
he$PWD                   |he/home
he\$PWD                  |he$PWD
he\\$PWD                 |he\/home
"he\$PWD"                |he$PWD
"he\\$PWD"               |he\/home
\${}                     |${}
\${}aaa                  |${}aaa
he\${}                   |he${}
he\${}xx                 |he${}xx
${}                      |error
${}aaa                   |error
he${}                    |error
he${}xx                  |error
he${hi}                  |he
he${hi}xx                |hexx
he${PWD}                 |he/home
he${.}                   |error
he${XXX:-000}xx          |he000xx
he${PWD:-000}xx          |he/homexx
he${XXX:-$PWD}xx         |he/homexx
he${XXX:-${PWD:-yyy}}xx  |he/homexx
he${XXX:-${YYY:-yyy}}xx  |heyyyxx
he${XXX:YYY}             |error
he${XXX?}                |error
he${XXX:?}               |error
he${PWD?}                |he/home
he${PWD:?}               |he/home
he${NULL?}               |he
he${NULL:?}              |error
he${NULL-x}              |he
he${NULL:-x}             |hex
he${NULL+x}              |hex
he${NULL:+x}             |he
he${XXX:+${PWD}}xx       |hexx
he${PWD:+${XXX}}xx       |hexx
he${PWD:+${SHELL}}xx     |hebashxx
he${XXX:+000}xx          |hexx
he${PWD:+000}xx          |he000xx
'he${XX}'                |he${XX}
"he${PWD}"               |he/home
"he'$PWD'"               |he'/home'
"$PWD"                   |/home
'$PWD'                   |$PWD
'\$PWD'                  |\$PWD
'"hello"'                |"hello"
'he\$PWD'                |he\$PWD
he${PWD                  |error
he${PWD:=000}xx          |error
he${PWD:+${PWD}:}xx      |he/home:xx
he${XXX:-\$PWD:}xx       |he$PWD:xx
he${XXX:-\${PWD}z}xx     |he${PWDz}xx
안녕하세요                 |안녕하세요
안'녕'하세요               |안녕하세요
안'녕하세요                |error
안녕\'하세요               |안녕'하세요
"안녕'하세요"              |안녕'하세요
안녕$PWD                   |안녕/home
안녕${XXX:-${YYY:-yyy}}xx  |안녕yyyxx
$KOREAN                    |한국어
안녕$KOREAN                |안녕한국어
${{aaa}                    |error
${aaa}}                    |}
${aaa                      |error
${{aaa                     |error
${{aaa}}                   |error
${aaa}}}                   |}}
${aaa}${aaa}               |
${aaa}${{aaa}}             |error
${PWD#/}                   |home
${PWD#*}                   |/home
${PWD##*}                  |
${PWD#/h*}                 |ome
${PWD##/h*}                |
${SHELL%h}                 |bas
${SHELL%%a*}               |b
${SHELL%a*}                |b
${SHELL%?}                 |bas
${SHELL/a/A}               |bAsh
${SHELL//[a]/A}            |bash
${PWD//o/0}                |/h0me
${PWD/#/x}                 |/home
${SHELL//?/x}              |xxxx
${SHELL/s*/}               |ba
${PWD#\*}                  |/home
${PWD#\q}                  |error
${PWD/o                    |error
${PWD:#x}                  |/home
)TABLE";

TEST(Lexer, ProcessWordTable) {
  Vars env{{"PWD", "/home"}, {"SHELL", "bash"}, {"KOREAN", "한국어"}, {"NULL", ""}};
  Lexer lex('\\');
  int cases = 0;
  for (const auto& line : split(k_table, '\n')) {
    if (line.empty()) continue;
    size_t bar = line.rfind('|');
    std::string input(trim(line.substr(0, bar))), want = line.substr(bar + 1);
    auto got = lex.process_word(input, env);
    ++cases;
    if (want == "error") {
      EXPECT_FALSE(got) << input << " gave " << (got ? *got : "");
    } else {
      ASSERT_TRUE(got) << input << ": " << got.error().message();
      EXPECT_EQ(*got, want) << "input: " << input;
    }
  }
  EXPECT_GT(cases, 100);
}

TEST(Lexer, WordSplitting) {
  Vars env{{"space", "abc  def"}, {"leading", "  ab c"}, {"hi", "hi"}};
  Lexer lex;
  auto words = [&](std::string_view w) { return join(*lex.process_words(w, env), "|"); };
  EXPECT_EQ(words("hello"), "hello");
  EXPECT_EQ(words("hello${hi}bye"), "hellohibye");
  EXPECT_EQ(words("hello${space}bye"), "helloabc|defbye");
  EXPECT_EQ(words("hello\"${space}\"bye"), "helloabc  defbye");
  EXPECT_EQ(words("hello \"${space}\"bye"), "hello|abc  defbye");
  EXPECT_EQ(words("hello${leading}def"), "hello|ab|cdef");
  EXPECT_EQ(words("hello\"${leading}\" def"), "hello  ab c|def");
  EXPECT_EQ(words("hello'${leading}'"), "hello${leading}");
  EXPECT_EQ(words("a\\ b c"), "a b|c");
  EXPECT_EQ(words("${nothing}"), "");
}

TEST(Lexer, ErrorsAndMatches) {
  Lexer lex;
  auto r = lex.process_word("he${XXX:?must be set}", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "failed to process \"he${XXX:?must be set}\": XXX: must be set");
  EXPECT_EQ(lex.process_word("'abc", {}).error().message(),
            "failed to process \"'abc\": unexpected end of statement while looking for matching "
            "single-quote");
  EXPECT_EQ(lex.process_word("${a", {}).error().message(),
            "failed to process \"${a\": syntax error: missing '}'");
  EXPECT_EQ(lex.process_word("${:a}", {}).error().message(),
            "failed to process \"${:a}\": syntax error: bad substitution");
  auto res = lex.process("$A ${B} $A", Vars{{"A", "1"}});
  EXPECT_EQ(res->matched, std::set<std::string>{"A"});
  EXPECT_EQ(res->unmatched, std::set<std::string>{"B"});
}

TEST(Lexer, BacktickEscapeAndOptions) {
  Lexer bt('`');
  EXPECT_EQ(*bt.process_word("c:\\path`$x", {}), "c:\\path$x");
  EXPECT_EQ(*bt.process_word("\"a`\"b\"", {}), "a\"b");
  Lexer keep;
  keep.skip_unset = true;
  EXPECT_EQ(*keep.process_word("$A ${B} ${C:-x}", Vars{{"A", "1"}}), "1 ${B} ${C:-x}");
  Lexer raw;
  raw.raw_quotes = true;
  EXPECT_EQ(*raw.process_word("'a' \"b\"", {}), "'a' \"b\"");
}

}  // namespace
}  // namespace kiln::dockerfile

namespace kiln::dockerfile {
namespace {

TEST(LexerRobustness, ExplosiveExpansionIsBoundedAndFast) {
  // ${A//} with an empty pattern inserts the replacement between every character; nested, the
  // result grows multiplicatively. kiln stops at 1 MiB instead of hanging (found by fuzzing).
  Vars env{{"A", std::string(300, 'a')}};
  std::string nested = "x";
  for (int i = 0; i < 6; ++i)
    nested =
        "${A//"
        "/" +
        nested + "}";
  auto start = std::chrono::steady_clock::now();
  auto r = Lexer().process_word(nested, env);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("larger than 1048576 bytes"), std::string::npos)
      << r.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  Vars big{{"B", std::string(20000, 'b')}};
  EXPECT_NE(Lexer()
                .process_word("${B%b}", big)
                .error()
                .message()
                .find("too long for pattern substitution"),
            std::string::npos);
  auto empty = Lexer().process_word("${A///}", Vars{{"A", "abc"}});
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_EQ(*empty, "abc") << "an empty pattern and replacement";
  EXPECT_FALSE(Lexer().process_word("${A//}", Vars{{"A", "abc"}})) << "missing the second /";
}

}  // namespace
}  // namespace kiln::dockerfile
