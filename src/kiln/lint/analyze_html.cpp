// kiln analyze --format html: one self-contained page (inline CSS and JS, no network) with the
// layers as bars, a browsable tree of each layer's changes and the waste list. The analysis is
// embedded as JSON; every number on the page also carries its raw value (data-v) for tests.
#include "kiln/lint/analyze.hpp"

namespace kiln::lint {

namespace {

constexpr std::string_view k_css = R"css(
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fafbfc}
h1{font-size:20px;margin:0 0 12px}h2{font-size:16px;margin:24px 0 8px}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
#summary{display:flex;gap:12px;flex-wrap:wrap}
.stat{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:10px 14px;min-width:140px}
.stat b{display:block;font-size:20px}.stat span{color:#5b6578;font-size:12px}
.bad b{color:#c0392b}
.layer{display:grid;grid-template-columns:40px 90px 1fr;gap:8px;align-items:center;padding:4px 6px;
 border-radius:4px;cursor:pointer}
.layer:hover{background:#eef2f7}.layer.sel{background:#dfe8f5}
.bar{height:14px;background:#4a7bd0;border-radius:3px;min-width:2px}
.instr{grid-column:3;color:#39424f;font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#tree details{margin-left:14px}#tree summary{cursor:pointer}
.file{margin-left:28px;white-space:nowrap}.file .sz{color:#5b6578;margin-left:8px}
.added{color:#1e7d32}.modified{color:#9a6b00}.removed{color:#c0392b;text-decoration:line-through}
table{border-collapse:collapse;width:100%;background:#fff}
td,th{border-bottom:1px solid #e3e7ee;padding:6px 8px;text-align:left;vertical-align:top}
th{font-size:12px;color:#5b6578}.fix{color:#1e7d32}
)css";

constexpr std::string_view k_js = R"js(
(function(){
const d=JSON.parse(document.getElementById('data').textContent);
const $=id=>document.getElementById(id);
function hs(b){const u=['B','kB','MB','GB','TB'];let i=0;let v=b;while(v>=1000&&i<u.length-1){v/=1000;i++;}
 return (i===0?v:v.toFixed(v<10?2:v<100?1:0))+u[i];}
function el(tag,attrs,text){const e=document.createElement(tag);for(const k in attrs||{})e.setAttribute(k,attrs[k]);
 if(text!==undefined)e.textContent=text;return e;}
$('image').textContent=d.image;
const s=d.summary;
const stats=[['efficiency',(s.efficiency*100).toFixed(2)+' %','efficiency (dive)',s.efficiency<0.95],
 ['wasted_bytes',hs(s.wasted_bytes),'wasted bytes (dive)',false],
 ['user_wasted_percent',(s.user_wasted_percent*100).toFixed(2)+' %','of the user layers wasted',s.user_wasted_percent>0.1],
 ['waste_total',hs(s.waste_total),'waste found by kiln',false],
 ['image_size',hs(s.image_size),'content of all layers',false],
 ['layers',String(s.layers),'layers',false],['files',String(s.files),'files in the image',false]];
for(const [k,text,label,bad] of stats){const box=el('div',{class:'stat'+(bad?' bad':'')});
 const v=s[k];box.appendChild(el('b',{'data-k':k,'data-v':String(v)},text));box.appendChild(el('span',{},label));
 $('summary').appendChild(box);}
const max=Math.max(1,...d.layers.map(l=>l.size));
function pick(i){for(const r of document.querySelectorAll('.layer'))r.classList.toggle('sel',Number(r.dataset.index)===i);
 showTree(d.layers[i]);}
for(const l of d.layers){const row=el('div',{class:'layer','data-index':String(l.index),'data-v':String(l.size)});
 row.appendChild(el('span',{class:'mono'},'#'+l.index));
 row.appendChild(el('span',{class:'mono'},hs(l.size)));
 const bar=el('div',{class:'bar'});bar.style.width=(100*l.size/max).toFixed(2)+'%';row.appendChild(bar);
 row.appendChild(el('div',{class:'instr'},(l.location?l.location+'  ':'')+(l.instruction||l.created_by||l.digest)+
   '   +'+l.files_added+' ~'+l.files_modified+' -'+l.files_removed));
 row.addEventListener('click',()=>pick(l.index));$('layers').appendChild(row);}
function showTree(l){$('sel').textContent='#'+l.index+(l.location?' ('+l.location+')':'');
 const root={dirs:{},files:[]};
 for(const [kind,path,size] of l.changes){const parts=path.split('/').filter(Boolean);let n=root;
  for(const p of parts.slice(0,-1)){n.dirs[p]=n.dirs[p]||{dirs:{},files:[]};n=n.dirs[p];}
  n.files.push([kind,parts[parts.length-1]||path,size,path]);}
 function total(n){let t=0;for(const f of n.files)t+=f[2];for(const k in n.dirs)t+=total(n.dirs[k]);return t;}
 function render(n,into,depth){for(const name of Object.keys(n.dirs).sort()){const c=n.dirs[name];
   const det=el('details');if(depth<2)det.open=true;det.appendChild(el('summary',{class:'mono'},name+'/  '+hs(total(c))));
   render(c,det,depth+1);into.appendChild(det);}
  for(const [kind,name,size,path] of n.files.sort((a,b)=>a[1]<b[1]?-1:1)){const f=el('div',{class:'file mono '+kind,
   'data-path':path,'data-kind':kind,'data-v':String(size)});f.appendChild(el('span',{},name));
   f.appendChild(el('span',{class:'sz'},kind+' '+hs(size)));into.appendChild(f);}}
 const t=$('tree');t.textContent='';if(!l.changes.length)t.appendChild(el('p',{},'No file changes in this layer.'));
 render(root,t,0);}
const wt=$('waste');
if(!d.waste.length){wt.appendChild(el('tr',{},'')).appendChild(el('td',{},'No waste found.'));}
else{const h=el('tr');for(const c of ['Bytes','Kind','What','Fix'])h.appendChild(el('th',{},c));wt.appendChild(h);}
for(const w of d.waste){const r=el('tr',{class:'waste','data-v':String(w.bytes),'data-kind':w.kind});
 r.appendChild(el('td',{class:'mono'},hs(w.bytes)));r.appendChild(el('td',{},w.kind));
 const what=el('td',{},w.message);if(w.paths.length)what.appendChild(el('div',{class:'mono'},w.paths.join('  ')));
 r.appendChild(what);r.appendChild(el('td',{class:'fix'},w.fix));wt.appendChild(r);}
const m=/layer=(\d+)/.exec(location.hash);let start=m?Number(m[1]):0;
if(!m){let best=0;for(const l of d.layers)if(l.size>d.layers[best].size)best=l.index;start=best;}
if(d.layers.length)pick(Math.min(start,d.layers.length-1));
document.body.setAttribute('data-ready','1');
})();
)js";

std::string html_escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

}  // namespace

std::string analysis_html(const Analysis& a, std::string_view image) {
  std::string data = analysis_json(a, image, true, -1);
  // Inside <script>, "</script" or "<!--" would change how the page parses: every '<' (only
  // ever inside a JSON string) becomes the escape \u003c.
  std::string safe;
  safe.reserve(data.size());
  for (char c : data) {
    if (c == '<')
      safe += "\\u003c";
    else
      safe += c;
  }
  return fmt::format(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width\">\n"
      "<title>kiln analyze {}</title>\n<style>{}</style></head>\n<body>\n"
      "<h1>kiln analyze <span id=\"image\"></span></h1>\n<section id=\"summary\"></section>\n"
      "<h2>Layers</h2>\n<div id=\"layers\"></div>\n"
      "<h2>Files changed in layer <span id=\"sel\"></span></h2>\n<div id=\"tree\"></div>\n"
      "<h2>Waste</h2>\n<table id=\"waste\"></table>\n"
      "<script type=\"application/json\" id=\"data\">{}</script>\n<script>{}</script>\n"
      "</body></html>\n",
      html_escape(image), k_css, safe, k_js);
}

}  // namespace kiln::lint
