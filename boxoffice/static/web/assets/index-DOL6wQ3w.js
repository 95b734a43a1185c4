import{c as R}from"./client-DmeInz0y.js";class v extends Error{constructor(e,t){super(e),this.code=t}}function E(o){const e=o[0];return new v(e.message,e.extensions?.code)}class M{constructor(e){this.creds=e,this.ws=null}async request(e,t){const n={"Content-Type":"application/json","X-API-Key":this.creds.apiKey};this.creds.token&&(n.Authorization=`Bearer ${this.creds.token}`);const a=await fetch("/graphql",{method:"POST",headers:n,body:JSON.stringify({query:e.toString(),variables:t})});let c;try{c=await a.json()}catch{throw new v(`The server answered ${a.status}`)}if(c.errors?.length)throw E(c.errors);if(!c.data)throw new v(`The server answered ${a.status}`);return c.data}client(){if(!this.ws){const e=new URL("/graphql",window.location.href).href.replace(/^http/,"ws"),t={apiKey:this.creds.apiKey};this.creds.token&&(t.authorization=`Bearer ${this.creds.token}`),this.ws=R({url:e,connectionParams:t,lazy:!0,retryAttempts:1/0,keepAlive:1e4})}return this.ws}subscribe(e,t,n){return this.client().subscribe({query:e.toString(),variables:t},{next:a=>{a.errors?.length?n.error?.(E(a.errors)):a.data&&n.next(a.data)},error:a=>n.error?.(new v(a instanceof Error?a.message:"Connection lost")),complete:()=>n.complete?.()})}}const Q="http://www.w3.org/2000/svg";function q(o,e,t){for(const[n,a]of Object.entries(e))a==null||a===!1||(n.startsWith("on")&&typeof a=="function"?o.addEventListener(n.slice(2),a):o.setAttribute(n,a===!0?"":String(a)));for(const n of t)n!=null&&n!==!1&&o.append(n);return o}function s(o,e={},...t){return q(document.createElement(o),e,t)}function y(o,e={},...t){return q(document.createElementNS(Q,o),e,t)}function w(o,e){try{return new Intl.NumberFormat(void 0,{style:"currency",currency:e}).format(o/100)}catch{return`${(o/100).toFixed(2)} ${e}`}}function L(o){const e=Math.max(0,Math.ceil(o/1e3));return`${Math.floor(e/60)}:${String(e%60).padStart(2,"0")}`}function P(o){const e=document.createElement("template");e.innerHTML=o;const t=e.content.querySelector("svg");if(!t)return s("span",{},"(QR code unavailable)");t.querySelectorAll("script, foreignObject").forEach(c=>c.remove());for(const c of[t,...Array.from(t.querySelectorAll("*"))])for(const r of Array.from(c.attributes))r.name.toLowerCase().startsWith("on")&&c.removeAttribute(r.name);const n=t.getAttribute("width"),a=t.getAttribute("height");return!t.hasAttribute("viewBox")&&n&&a&&t.setAttribute("viewBox",`0 0 ${parseFloat(n)} ${parseFloat(a)}`),t.setAttribute("role","img"),t}class h extends String{constructor(e,t){super(e),this.value=e,this.__meta__=t}toString(){return this.value}}new h(`
    query Booking($id: ID!) {
  booking(id: $id) {
    id
    reservationId
    showId
    amount
    currency
    tickets {
      seat
      qrPayload
      qrSvg
    }
  }
}
    `);const _=new h(`
    mutation CancelReservation($reservationId: ID!) {
  cancelReservation(reservationId: $reservationId) {
    __typename
    ... on Reservation {
      id
      status
      seats
    }
    ... on NotFound {
      message
    }
  }
}
    `);new h(`
    query Cinemas($city: String!) {
  cinemas(city: $city) {
    id
    name
    city
    postalCode
    lat
    lng
    halls
  }
}
    `);const F=new h(`
    query Cities {
  cities {
    id
    name
  }
}
    `),T=new h(`
    mutation Confirm($input: ConfirmInput!) {
  confirm(input: $input) {
    __typename
    ... on Booking {
      id
      reservationId
      showId
      amount
      currency
      tickets {
        seat
        qrPayload
        qrSvg
      }
    }
    ... on PaymentDeclined {
      message
      declineCode
    }
    ... on ReservationExpired {
      reservationId
      message
    }
    ... on NotFound {
      message
    }
    ... on InvalidRequest {
      message
      field
    }
    ... on RateLimited {
      message
      retryAfterSeconds
    }
  }
}
    `),K=new h(`
    mutation LeaveQueue($showId: ID!) {
  leaveQueue(showId: $showId)
}
    `),j=new h(`
    query Movies($city: String) {
  movies(city: $city) {
    id
    title
    rating
    durationMinutes
    languages
    genres
    releaseDate
  }
}
    `),B=new h(`
    query QueuePosition($showId: ID!) {
  queuePosition(showId: $showId) {
    showId
    position
    etrSeconds
    seatsWanted
    offer {
      id
      seats
      expiresAt
      amount
      currency
    }
  }
}
    `),N=new h(`
    subscription QueueSubscription($showId: ID!) {
  queue(showId: $showId) {
    showId
    position
    etrSeconds
    seatsWanted
    offer {
      id
      showId
      seats
      status
      expiresAt
      amount
      currency
    }
  }
}
    `);new h(`
    query Reservation($id: ID!) {
  reservation(id: $id) {
    id
    showId
    seats
    status
    expiresAt
    amount
    currency
  }
}
    `);new h(`
    subscription ReservationSubscription($id: ID!) {
  reservation(id: $id) {
    id
    showId
    seats
    status
    expiresAt
    amount
    currency
  }
}
    `);const H=new h(`
    mutation Reserve($input: ReserveInput!) {
  reserve(input: $input) {
    __typename
    ... on Reservation {
      id
      showId
      seats
      status
      expiresAt
      amount
      currency
    }
    ... on SeatsTaken {
      seats
      alternatives
    }
    ... on Queued {
      showId
      position
      etrSeconds
      seatsWanted
    }
    ... on InvalidRequest {
      message
      field
    }
    ... on RateLimited {
      message
      retryAfterSeconds
    }
  }
}
    `),O=new h(`
    query Search($input: SearchInput!) {
  search(input: $input) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      cursor
      node {
        showId
        showtime
        availableSeats
        distanceKm
        movie {
          id
          title
          rating
          durationMinutes
          languages
          genres
        }
        cinema {
          id
          name
          city
          postalCode
          lat
          lng
        }
      }
    }
  }
}
    `);new h(`
    query SeatMap($showId: ID!) {
  seatMap(showId: $showId) {
    showId
    version
    free
    held
    booked
    seats {
      label
      row
      number
      category
      price
      currency
      status
      x
      y
    }
  }
}
    `);const U=new h(`
    subscription SeatMapSubscription($showId: ID!) {
  seatMap(showId: $showId) {
    showId
    version
    changes {
      label
      status
    }
    snapshot {
      showId
      version
      free
      held
      booked
      seats {
        label
        row
        number
        category
        price
        currency
        status
        x
        y
      }
    }
  }
}
    `),W=new h(`
    query Show($id: ID!) {
  show(id: $id) {
    id
    startsAt
    hallName
    totalSeats
    availableSeats
    movie {
      id
      title
      rating
      durationMinutes
      languages
      genres
      releaseDate
    }
    cinema {
      id
      name
      city
      postalCode
      lat
      lng
      halls
    }
  }
}
    `),b=10,g=28,I=["#2f7d4f","#1f5fa8","#8a3fa0","#b5651d","#0f7f86"];class Y{constructor(e,t){this.api=e,this.showId=t,this.root=s("section",{class:"seatmap","aria-label":"Seat map"}),this.seats=new Map,this.nodes=new Map,this.version=-1,this.stop=null,this.selected=new Set,this.status=s("p",{class:"muted","data-testid":"seatmap-status"},"Connecting…"),this.svgHolder=s("div",{class:"svg-holder"}),this.legend=s("ul",{class:"legend","aria-label":"Seat categories and prices"}),this.counts=s("p",{class:"counts","aria-live":"off"}),this.onChange=()=>{},this.root.append(this.status,this.legend,s("div",{class:"screen","aria-hidden":"true"},"SCREEN"),this.svgHolder,this.counts)}start(){this.stop?.(),this.stop=this.api.subscribe(U,{showId:this.showId},{next:e=>this.onEvent(e.seatMap),error:e=>{this.status.textContent=`Live updates stopped: ${e.message}`}})}dispose(){this.stop?.(),this.stop=null}get freeCount(){let e=0;for(const t of this.seats.values())t.status==="FREE"&&e++;return e}get loaded(){return this.version>=0}seat(e){return this.seats.get(e)}anyLabels(e){return Array.from(this.seats.keys()).slice(0,e)}clearSelection(){const e=Array.from(this.selected);this.selected.clear();for(const t of e)this.paint(t);this.onChange()}onEvent(e){if(e.snapshot){this.render(e.snapshot);return}if(!(e.version<=this.version)){if(this.version<0||e.version!==this.version+1){this.status.textContent="Catching up…",this.start();return}this.version=e.version;for(const t of e.changes)this.setStatus(t.label,t.status);this.afterChange()}}setStatus(e,t){const n=this.seats.get(e);n&&(n.status=t,t!=="FREE"&&this.selected.delete(e),this.paint(e))}afterChange(){let e=0,t=0,n=0;for(const a of this.seats.values())a.status==="FREE"?e++:a.status==="HELD"?t++:n++;this.counts.textContent=`${e} free · ${t} held · ${n} booked`,this.status.textContent=e===0?"Sold out":"Live",this.onChange()}render(e){this.version=e.version,this.seats=new Map(e.seats.map(i=>[i.label,{...i}]));for(const i of Array.from(this.selected))this.seats.get(i)?.status!=="FREE"&&this.selected.delete(i);const t=new Map;for(const i of e.seats){const d=t.get(i.category);d?(d.low=Math.min(d.low,i.price),d.high=Math.max(d.high,i.price)):t.set(i.category,{low:i.price,high:i.price,currency:i.currency,color:I[t.size%I.length]})}const n=i=>i.low===i.high?w(i.low,i.currency):`${w(i.low,i.currency)}–${w(i.high,i.currency)}`;this.legend.replaceChildren(...Array.from(t,([i,d])=>s("li",{},s("span",{class:"swatch",style:`background:${d.color}`}),`${i} ${n(d)}`)),s("li",{},s("span",{class:"swatch held"}),"Held"),s("li",{},s("span",{class:"swatch booked"}),"Booked"),s("li",{},s("span",{class:"swatch selected"}),"Your selection"));const a=Array.from(new Set(e.seats.map(i=>i.row))),c=new Map(a.map((i,d)=>[i,d])),l=(Math.max(1,...e.seats.map(i=>i.x))+2)*g,u=(a.length+.5)*g,m=y("svg",{viewBox:`0 0 ${l} ${u}`,class:"seats",style:`max-width:${Math.round(l*1.4)}px`,role:"group","aria-label":`${e.seats.length} seats; use Tab to move and Enter or Space to select`});a.forEach((i,d)=>m.append(y("text",{x:4,y:(d+.75)*g,class:"rowname","aria-hidden":"true"},i))),this.nodes.clear();for(const i of e.seats){const d=t.get(i.category)?.color??I[0],$=y("g",{"data-seat":i.label,role:"button",tabindex:0,style:`--cat:${d}`,transform:`translate(${(i.x+1)*g} ${(c.get(i.row)??0)*g})`,onclick:()=>this.toggle(i.label),onkeydown:(k=>{(k.key==="Enter"||k.key===" ")&&(k.preventDefault(),this.toggle(i.label))})},y("rect",{x:3,y:3,width:g-6,height:g-6,rx:5}),y("title",{},i.label));this.nodes.set(i.label,$),m.append($),this.paint(i.label)}this.svgHolder.replaceChildren(m),this.afterChange()}paint(e){const t=this.seats.get(e),n=this.nodes.get(e);if(!t||!n)return;const a=this.selected.has(e);n.setAttribute("data-status",t.status),n.setAttribute("aria-pressed",String(a)),n.setAttribute("aria-disabled",String(t.status!=="FREE"));const c=t.status==="FREE"?a?"selected":"free":t.status==="HELD"?"held":"booked";n.setAttribute("aria-label",`Seat ${t.label}, ${t.category}, ${w(t.price,t.currency)}, ${c}`)}toggle(e){const t=this.seats.get(e);if(!(!t||t.status!=="FREE")){if(this.selected.has(e))this.selected.delete(e);else if(this.selected.size<b)this.selected.add(e);else{this.status.textContent=`At most ${b} seats per booking`;return}this.paint(e),this.onChange()}}}const S=[["tok_visa","Visa •••• 4242 (sandbox, succeeds)"],["tok_mastercard","Mastercard (sandbox, succeeds)"],["tok_chargeDeclined","Declined card (sandbox)"],["tok_chargeDeclinedInsufficientFunds","Insufficient funds (sandbox)"]],A=document.getElementById("main");let x=[];function C(){return new URLSearchParams(window.location.hash.replace(/^#/,""))}function z(o){const e=C();for(const[t,n]of Object.entries(o))n===null?e.delete(t):e.set(t,n);window.location.hash=e.toString()}function f(o){return o instanceof v?o.code?`${o.message} (${o.code})`:o.message:o instanceof Error?o.message:String(o)}function p(o,e="error"){return s("p",{class:"alert",role:"alert","data-testid":e},o)}function D(){for(const a of x)a();x=[];const o=C(),e={apiKey:o.get("apiKey")??"",token:o.get("token")??""};if(document.getElementById("who").textContent=e.token?"signed in":e.apiKey?"browsing (no user token)":"",document.getElementById("home").href=`#${new URLSearchParams({apiKey:e.apiKey,token:e.token})}`,!e.apiKey)return X();const t=new M(e),n=o.get("show");n?V(t,n):J(t)}function X(){const o=s("input",{id:"apikey",name:"apiKey",required:!0,autocomplete:"off"}),e=s("input",{id:"token",name:"token",autocomplete:"off"});A.replaceChildren(s("form",{class:"card",onsubmit:(t=>{t.preventDefault(),z({apiKey:o.value.trim(),token:e.value.trim()})})},s("h1",{},"Sign in"),s("p",{class:"muted"},"`boxoffice dev` prints an API key and a demo user's token."),s("label",{for:"apikey"},"API key"),o,s("label",{for:"token"},"User token"),e,s("button",{type:"submit"},"Continue")))}async function J(o){const e=s("select",{id:"city"},s("option",{value:""},"Choose a city")),t=s("select",{id:"movie",disabled:!0},s("option",{value:""},"Any movie")),n=s("ul",{class:"shows","aria-label":"Shows"}),a=s("p",{class:"muted",role:"status"});A.replaceChildren(s("section",{class:"card"},s("h1",{},"Find a show"),s("label",{for:"city"},"City"),e,s("label",{for:"movie"},"Movie"),t,a,n));async function c(){const r=e.value;if(r){a.textContent="Searching…";try{const l=t.value,u=await o.request(O,{input:{city:r,keyword:l||null,first:30}});a.textContent=`${u.search.totalCount} show(s)`,n.replaceChildren(...u.search.edges.map(({node:m})=>s("li",{},s("a",{href:`#${new URLSearchParams({...Object.fromEntries(C()),show:m.showId})}`,"data-show":m.showId},s("strong",{},m.movie.title),` · ${m.cinema.name} · ${new Date(m.showtime).toLocaleString()} · ${m.availableSeats} free`))))}catch(l){a.replaceChildren(p(f(l)))}}}e.addEventListener("change",async()=>{if(t.replaceChildren(s("option",{value:""},"Any movie")),t.disabled=!e.value,!!e.value){try{const r=await o.request(j,{city:e.value});for(const l of r.movies)t.append(s("option",{value:l.title},l.title))}catch(r){a.replaceChildren(p(f(r)))}c()}}),t.addEventListener("change",()=>{c()});try{const r=await o.request(F,{});for(const l of r.cities)e.append(s("option",{value:l.name},l.name))}catch(r){a.replaceChildren(p(f(r)))}}function V(o,e){const t=s("h1",{},`Show ${e}`),n=s("p",{class:"muted"}),a=new Y(o,e),c=s("section",{class:"panel","aria-label":"Your booking","aria-live":"polite"}),r=s("a",{href:`#${new URLSearchParams({apiKey:o.creds.apiKey,token:o.creds.token})}`},"← all shows");A.replaceChildren(s("div",{class:"show"},r,t,n,a.root,c));const l=new G(o,e,a,c);x.push(()=>{a.dispose(),l.dispose()}),a.onChange=()=>l.selectionChanged(),a.start(),l.selectionChanged(),o.request(W,{id:e}).then(u=>{if(!u.show){t.textContent="No such show";return}t.textContent=u.show.movie.title,n.textContent=`${u.show.cinema.name}, ${u.show.cinema.city} · ${u.show.hallName} · ${new Date(u.show.startsAt).toLocaleString()}`}).catch(u=>n.replaceChildren(p(f(u)))),o.creds.token&&o.request(B,{showId:e}).then(u=>{u.queuePosition&&l.watchQueue()}).catch(()=>{})}class G{constructor(e,t,n,a){this.api=e,this.showId=t,this.map=n,this.panel=a,this.stopQueue=null,this.mode="select",this.wanted=s("input",{id:"wanted",type:"number",min:1,max:b,value:2,inputmode:"numeric"})}dispose(){window.clearInterval(this.timer),this.stopQueue?.()}selectionChanged(){if(this.mode!=="select")return;const e=Array.from(this.map.selected);if(this.map.loaded&&this.map.freeCount===0){this.panel.replaceChildren(s("h2",{},"Sold out"),s("p",{},"Join the queue: when seats come back, the longest waiter gets them held for a few minutes."),s("label",{for:"wanted"},"Seats wanted"),this.wanted,s("button",{"data-action":"join-queue",onclick:()=>{this.joinQueue()}},"Join the queue"));return}let n=0,a="";for(const c of e){const r=this.map.seat(c);r&&(n+=r.price,a=r.currency)}this.panel.replaceChildren(s("p",{"data-testid":"selection"},e.length?`Selected ${e.length} seat(s): ${e.join(", ")} · ${w(n,a)}`:`Select up to ${b} free seats.`),s("button",{"data-action":"reserve",disabled:e.length===0,onclick:()=>{this.reserve(e)}},"Reserve"),this.api.creds.token?"":s("p",{class:"muted"},"Add &token=… to the address to reserve."))}busy(e){this.panel.querySelectorAll("button").forEach(t=>t.disabled=!0),this.panel.append(s("p",{class:"muted",role:"status"},e))}async reserve(e){this.busy("Holding your seats…");try{const t=(await this.api.request(H,{input:{showId:this.showId,seats:e}})).reserve;switch(t.__typename){case"Reservation":return this.map.clearSelection(),this.holding(t,"hold");case"SeatsTaken":this.selectionChanged(),this.panel.prepend(p(`Taken meanwhile: ${t.seats.join(", ")}.${t.alternatives.length?` Free nearby: ${t.alternatives.join(", ")}.`:""}`,"seats-taken"));return;case"Queued":return this.map.clearSelection(),this.watchQueue();default:this.selectionChanged(),this.panel.prepend(p(t.message))}}catch(t){this.selectionChanged(),this.panel.prepend(p(f(t)))}}joinQueue(){const e=Math.min(b,Math.max(1,Number(this.wanted.value)||1));return this.reserve(this.map.anyLabels(e))}holding(e,t){this.mode="hold",window.clearInterval(this.timer);const n=s("strong",{"data-testid":t==="hold"?"hold-countdown":"offer-countdown","aria-live":"off"}),a=C().get("card"),c=S.some(([d])=>d===a)?S:a?.startsWith("tok_")?[...S,[a,a]]:S,r=s("select",{id:"card","data-testid":"card"},...c.map(([d,$])=>s("option",{value:d,selected:d===a},$))),l=s("div",{"aria-live":"assertive"}),u=s("button",{"data-action":"pay",onclick:()=>{this.pay(e,r.value,l,u)}},`Pay ${w(e.amount,e.currency)}`),m=Date.parse(e.expiresAt),i=()=>{const d=m-Date.now();n.textContent=L(d),d<=0&&(window.clearInterval(this.timer),u.disabled=!0,l.replaceChildren(p("Your hold has expired; the seats went back on sale.","hold-expired")))};i(),this.timer=window.setInterval(i,250),this.panel.replaceChildren(s("h2",{},t==="hold"?"Your seats are held":"Seats came back for you"),s("p",{},`${e.seats.join(", ")} · ${w(e.amount,e.currency)}`),s("p",{},t==="hold"?"Time left to pay: ":"This offer lapses in ",n),s("label",{for:"card"},"Card"),r,u,s("button",{class:"secondary","data-action":"cancel",onclick:()=>{this.cancel(e)}},"Cancel"),l)}async pay(e,t,n,a){a.disabled=!0,n.replaceChildren(s("p",{class:"muted",role:"status"},"Paying…"));try{const c=`web-${e.id}-${crypto.randomUUID?.()??Date.now()}`,r=(await this.api.request(T,{input:{reservationId:e.id,paymentToken:t,idempotencyKey:c}})).confirm;if(r.__typename==="Booking")return this.tickets(r);const l=r.__typename==="PaymentDeclined"?`Payment declined${r.declineCode?` (${r.declineCode})`:""}: ${r.message} Your seats stay held: try another card.`:r.message;n.replaceChildren(p(l,"payment-error")),r.__typename!=="ReservationExpired"&&(a.disabled=!1)}catch(c){n.replaceChildren(p(f(c),"payment-error")),a.disabled=!1}}async cancel(e){try{await this.api.request(_,{reservationId:e.id})}catch(t){this.panel.prepend(p(f(t)));return}window.clearInterval(this.timer),this.mode="select",this.selectionChanged()}tickets(e){this.mode="done",window.clearInterval(this.timer),this.stopQueue?.(),this.panel.replaceChildren(s("h2",{},"Enjoy the show!"),s("p",{"data-testid":"booking"},`Booking ${e.id} · ${w(e.amount,e.currency)}`),s("ul",{class:"tickets"},...e.tickets.map(t=>s("li",{"data-testid":"ticket","data-seat-label":t.seat},s("span",{class:"ticket-seat"},`Seat ${t.seat}`),s("div",{class:"qr","aria-label":`QR code for seat ${t.seat}`},P(t.qrSvg))))))}watchQueue(){if(this.mode==="queue"||this.mode==="done")return;this.mode="queue";const e=s("strong",{"data-testid":"queue-position"},"…"),t=s("span",{"data-testid":"queue-eta"});this.panel.replaceChildren(s("h2",{},"You are in the queue"),s("p",{},"Position ",e," · ",t),s("button",{class:"secondary","data-action":"leave-queue",onclick:()=>{this.leaveQueue()}},"Leave the queue")),this.stopQueue?.(),this.stopQueue=this.api.subscribe(N,{showId:this.showId},{next:n=>this.onQueue(n.queue,e,t),error:n=>this.panel.append(p(`Queue updates stopped: ${f(n)}`))})}onQueue(e,t,n){if(e.offer&&e.offer.status==="HELD"){this.holding(e.offer,"offer");return}t.textContent=String(e.position),n.textContent=e.etrSeconds>0?`about ${Math.ceil(e.etrSeconds/60)} min`:"any moment"}async leaveQueue(){try{await this.api.request(K,{showId:this.showId})}catch(e){this.panel.append(p(f(e)));return}this.stopQueue?.(),this.stopQueue=null,this.mode="select",this.selectionChanged()}}window.addEventListener("hashchange",D);D();
