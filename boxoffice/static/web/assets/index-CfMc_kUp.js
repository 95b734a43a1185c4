import{c as D}from"./client-DmeInz0y.js";class v extends Error{constructor(e,t){super(e),this.code=t}}function A(o){const e=o[0];return new v(e.message,e.extensions?.code)}class R{constructor(e){this.creds=e,this.ws=null}async request(e,t){const n={"Content-Type":"application/json","X-API-Key":this.creds.apiKey};this.creds.token&&(n.Authorization=`Bearer ${this.creds.token}`);const a=await fetch("/graphql",{method:"POST",headers:n,body:JSON.stringify({query:e.toString(),variables:t})});let c;try{c=await a.json()}catch{throw new v(`The server answered ${a.status}`)}if(c.errors?.length)throw A(c.errors);if(!c.data)throw new v(`The server answered ${a.status}`);return c.data}client(){if(!this.ws){const e=new URL("/graphql",window.location.href).href.replace(/^http/,"ws"),t={apiKey:this.creds.apiKey};this.creds.token&&(t.authorization=`Bearer ${this.creds.token}`),this.ws=D({url:e,connectionParams:t,lazy:!0,retryAttempts:1/0,keepAlive:1e4})}return this.ws}subscribe(e,t,n){return this.client().subscribe({query:e.toString(),variables:t},{next:a=>{a.errors?.length?n.error?.(A(a.errors)):a.data&&n.next(a.data)},error:a=>n.error?.(new v(a instanceof Error?a.message:"Connection lost")),complete:()=>n.complete?.()})}}const M="http://www.w3.org/2000/svg";function E(o,e,t){for(const[n,a]of Object.entries(e))a==null||a===!1||(n.startsWith("on")&&typeof a=="function"?o.addEventListener(n.slice(2),a):o.setAttribute(n,a===!0?"":String(a)));for(const n of t)n!=null&&n!==!1&&o.append(n);return o}function s(o,e={},...t){return E(document.createElement(o),e,t)}function y(o,e={},...t){return E(document.createElementNS(M,o),e,t)}function w(o,e){try{return new Intl.NumberFormat(void 0,{style:"currency",currency:e}).format(o/100)}catch{return`${(o/100).toFixed(2)} ${e}`}}function Q(o){const e=Math.max(0,Math.ceil(o/1e3));return`${Math.floor(e/60)}:${String(e%60).padStart(2,"0")}`}function L(o){const e=document.createElement("template");e.innerHTML=o;const t=e.content.querySelector("svg");if(!t)return s("span",{},"(QR code unavailable)");t.querySelectorAll("script, foreignObject").forEach(c=>c.remove());for(const c of[t,...Array.from(t.querySelectorAll("*"))])for(const r of Array.from(c.attributes))r.name.toLowerCase().startsWith("on")&&c.removeAttribute(r.name);const n=t.getAttribute("width"),a=t.getAttribute("height");return!t.hasAttribute("viewBox")&&n&&a&&t.setAttribute("viewBox",`0 0 ${parseFloat(n)} ${parseFloat(a)}`),t.setAttribute("role","img"),t}class d extends String{constructor(e,t){super(e),this.value=e,this.__meta__=t}toString(){return this.value}}new d(`
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
    `);const P=new d(`
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
    `);new d(`
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
    `);const _=new d(`
    query Cities {
  cities {
    id
    name
  }
}
    `),F=new d(`
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
    `),T=new d(`
    mutation LeaveQueue($showId: ID!) {
  leaveQueue(showId: $showId)
}
    `),K=new d(`
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
    `),j=new d(`
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
    `),B=new d(`
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
    `);new d(`
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
    `);new d(`
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
    `);const N=new d(`
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
    `),H=new d(`
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
    `);new d(`
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
    `);const O=new d(`
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
    `),U=new d(`
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
    `),b=10,g=28,S=["#2f7d4f","#1f5fa8","#8a3fa0","#b5651d","#0f7f86"];class Y{constructor(e,t){this.api=e,this.showId=t,this.root=s("section",{class:"seatmap","aria-label":"Seat map"}),this.seats=new Map,this.nodes=new Map,this.version=-1,this.stop=null,this.selected=new Set,this.status=s("p",{class:"muted","data-testid":"seatmap-status"},"Connecting…"),this.svgHolder=s("div",{class:"svg-holder"}),this.legend=s("ul",{class:"legend","aria-label":"Seat categories and prices"}),this.counts=s("p",{class:"counts","aria-live":"off"}),this.onChange=()=>{},this.root.append(this.status,this.legend,s("div",{class:"screen","aria-hidden":"true"},"SCREEN"),this.svgHolder,this.counts)}start(){this.stop?.(),this.stop=this.api.subscribe(O,{showId:this.showId},{next:e=>this.onEvent(e.seatMap),error:e=>{this.status.textContent=`Live updates stopped: ${e.message}`}})}dispose(){this.stop?.(),this.stop=null}get freeCount(){let e=0;for(const t of this.seats.values())t.status==="FREE"&&e++;return e}get loaded(){return this.version>=0}seat(e){return this.seats.get(e)}anyLabels(e){return Array.from(this.seats.keys()).slice(0,e)}clearSelection(){const e=Array.from(this.selected);this.selected.clear();for(const t of e)this.paint(t);this.onChange()}onEvent(e){if(e.snapshot){this.render(e.snapshot);return}if(!(e.version<=this.version)){if(this.version<0||e.version!==this.version+1){this.status.textContent="Catching up…",this.start();return}this.version=e.version;for(const t of e.changes)this.setStatus(t.label,t.status);this.afterChange()}}setStatus(e,t){const n=this.seats.get(e);n&&(n.status=t,t!=="FREE"&&this.selected.delete(e),this.paint(e))}afterChange(){let e=0,t=0,n=0;for(const a of this.seats.values())a.status==="FREE"?e++:a.status==="HELD"?t++:n++;this.counts.textContent=`${e} free · ${t} held · ${n} booked`,this.status.textContent=e===0?"Sold out":"Live",this.onChange()}render(e){this.version=e.version,this.seats=new Map(e.seats.map(i=>[i.label,{...i}]));for(const i of Array.from(this.selected))this.seats.get(i)?.status!=="FREE"&&this.selected.delete(i);const t=new Map;for(const i of e.seats){const p=t.get(i.category);p?(p.low=Math.min(p.low,i.price),p.high=Math.max(p.high,i.price)):t.set(i.category,{low:i.price,high:i.price,currency:i.currency,color:S[t.size%S.length]})}const n=i=>i.low===i.high?w(i.low,i.currency):`${w(i.low,i.currency)}–${w(i.high,i.currency)}`;this.legend.replaceChildren(...Array.from(t,([i,p])=>s("li",{},s("span",{class:"swatch",style:`background:${p.color}`}),`${i} ${n(p)}`)),s("li",{},s("span",{class:"swatch held"}),"Held"),s("li",{},s("span",{class:"swatch booked"}),"Booked"),s("li",{},s("span",{class:"swatch selected"}),"Your selection"));const a=Array.from(new Set(e.seats.map(i=>i.row))),c=new Map(a.map((i,p)=>[i,p])),l=(Math.max(1,...e.seats.map(i=>i.x))+2)*g,u=(a.length+.5)*g,h=y("svg",{viewBox:`0 0 ${l} ${u}`,class:"seats",style:`max-width:${Math.round(l*1.4)}px`,role:"group","aria-label":`${e.seats.length} seats; use Tab to move and Enter or Space to select`});a.forEach((i,p)=>h.append(y("text",{x:4,y:(p+.75)*g,class:"rowname","aria-hidden":"true"},i))),this.nodes.clear();for(const i of e.seats){const p=t.get(i.category)?.color??S[0],x=y("g",{"data-seat":i.label,role:"button",tabindex:0,style:`--cat:${p}`,transform:`translate(${(i.x+1)*g} ${(c.get(i.row)??0)*g})`,onclick:()=>this.toggle(i.label),onkeydown:($=>{($.key==="Enter"||$.key===" ")&&($.preventDefault(),this.toggle(i.label))})},y("rect",{x:3,y:3,width:g-6,height:g-6,rx:5}),y("title",{},i.label));this.nodes.set(i.label,x),h.append(x),this.paint(i.label)}this.svgHolder.replaceChildren(h),this.afterChange()}paint(e){const t=this.seats.get(e),n=this.nodes.get(e);if(!t||!n)return;const a=this.selected.has(e);n.setAttribute("data-status",t.status),n.setAttribute("aria-pressed",String(a)),n.setAttribute("aria-disabled",String(t.status!=="FREE"));const c=t.status==="FREE"?a?"selected":"free":t.status==="HELD"?"held":"booked";n.setAttribute("aria-label",`Seat ${t.label}, ${t.category}, ${w(t.price,t.currency)}, ${c}`)}toggle(e){const t=this.seats.get(e);if(!(!t||t.status!=="FREE")){if(this.selected.has(e))this.selected.delete(e);else if(this.selected.size<b)this.selected.add(e);else{this.status.textContent=`At most ${b} seats per booking`;return}this.paint(e),this.onChange()}}}const z=[["tok_visa","Visa •••• 4242 (sandbox, succeeds)"],["tok_mastercard","Mastercard (sandbox, succeeds)"],["tok_chargeDeclined","Declined card (sandbox)"],["tok_chargeDeclinedInsufficientFunds","Insufficient funds (sandbox)"]],k=document.getElementById("main");let C=[];function I(){return new URLSearchParams(window.location.hash.replace(/^#/,""))}function W(o){const e=I();for(const[t,n]of Object.entries(o))n===null?e.delete(t):e.set(t,n);window.location.hash=e.toString()}function f(o){return o instanceof v?o.code?`${o.message} (${o.code})`:o.message:o instanceof Error?o.message:String(o)}function m(o,e="error"){return s("p",{class:"alert",role:"alert","data-testid":e},o)}function q(){for(const a of C)a();C=[];const o=I(),e={apiKey:o.get("apiKey")??"",token:o.get("token")??""};if(document.getElementById("who").textContent=e.token?"signed in":e.apiKey?"browsing (no user token)":"",document.getElementById("home").href=`#${new URLSearchParams({apiKey:e.apiKey,token:e.token})}`,!e.apiKey)return X();const t=new R(e),n=o.get("show");n?V(t,n):J(t)}function X(){const o=s("input",{id:"apikey",name:"apiKey",required:!0,autocomplete:"off"}),e=s("input",{id:"token",name:"token",autocomplete:"off"});k.replaceChildren(s("form",{class:"card",onsubmit:(t=>{t.preventDefault(),W({apiKey:o.value.trim(),token:e.value.trim()})})},s("h1",{},"Sign in"),s("p",{class:"muted"},"`boxoffice dev` prints an API key and a demo user's token."),s("label",{for:"apikey"},"API key"),o,s("label",{for:"token"},"User token"),e,s("button",{type:"submit"},"Continue")))}async function J(o){const e=s("select",{id:"city"},s("option",{value:""},"Choose a city")),t=s("select",{id:"movie",disabled:!0},s("option",{value:""},"Any movie")),n=s("ul",{class:"shows","aria-label":"Shows"}),a=s("p",{class:"muted",role:"status"});k.replaceChildren(s("section",{class:"card"},s("h1",{},"Find a show"),s("label",{for:"city"},"City"),e,s("label",{for:"movie"},"Movie"),t,a,n));async function c(){const r=e.value;if(r){a.textContent="Searching…";try{const l=t.value,u=await o.request(H,{input:{city:r,keyword:l||null,first:30}});a.textContent=`${u.search.totalCount} show(s)`,n.replaceChildren(...u.search.edges.map(({node:h})=>s("li",{},s("a",{href:`#${new URLSearchParams({...Object.fromEntries(I()),show:h.showId})}`,"data-show":h.showId},s("strong",{},h.movie.title),` · ${h.cinema.name} · ${new Date(h.showtime).toLocaleString()} · ${h.availableSeats} free`))))}catch(l){a.replaceChildren(m(f(l)))}}}e.addEventListener("change",async()=>{if(t.replaceChildren(s("option",{value:""},"Any movie")),t.disabled=!e.value,!!e.value){try{const r=await o.request(K,{city:e.value});for(const l of r.movies)t.append(s("option",{value:l.title},l.title))}catch(r){a.replaceChildren(m(f(r)))}c()}}),t.addEventListener("change",()=>{c()});try{const r=await o.request(_,{});for(const l of r.cities)e.append(s("option",{value:l.name},l.name))}catch(r){a.replaceChildren(m(f(r)))}}function V(o,e){const t=s("h1",{},`Show ${e}`),n=s("p",{class:"muted"}),a=new Y(o,e),c=s("section",{class:"panel","aria-label":"Your booking","aria-live":"polite"}),r=s("a",{href:`#${new URLSearchParams({apiKey:o.creds.apiKey,token:o.creds.token})}`},"← all shows");k.replaceChildren(s("div",{class:"show"},r,t,n,a.root,c));const l=new G(o,e,a,c);C.push(()=>{a.dispose(),l.dispose()}),a.onChange=()=>l.selectionChanged(),a.start(),l.selectionChanged(),o.request(U,{id:e}).then(u=>{if(!u.show){t.textContent="No such show";return}t.textContent=u.show.movie.title,n.textContent=`${u.show.cinema.name}, ${u.show.cinema.city} · ${u.show.hallName} · ${new Date(u.show.startsAt).toLocaleString()}`}).catch(u=>n.replaceChildren(m(f(u)))),o.creds.token&&o.request(j,{showId:e}).then(u=>{u.queuePosition&&l.watchQueue()}).catch(()=>{})}class G{constructor(e,t,n,a){this.api=e,this.showId=t,this.map=n,this.panel=a,this.stopQueue=null,this.mode="select",this.wanted=s("input",{id:"wanted",type:"number",min:1,max:b,value:2,inputmode:"numeric"})}dispose(){window.clearInterval(this.timer),this.stopQueue?.()}selectionChanged(){if(this.mode!=="select")return;const e=Array.from(this.map.selected);if(this.map.loaded&&this.map.freeCount===0){this.panel.replaceChildren(s("h2",{},"Sold out"),s("p",{},"Join the queue: when seats come back, the longest waiter gets them held for a few minutes."),s("label",{for:"wanted"},"Seats wanted"),this.wanted,s("button",{"data-action":"join-queue",onclick:()=>{this.joinQueue()}},"Join the queue"));return}let n=0,a="";for(const c of e){const r=this.map.seat(c);r&&(n+=r.price,a=r.currency)}this.panel.replaceChildren(s("p",{"data-testid":"selection"},e.length?`Selected ${e.length} seat(s): ${e.join(", ")} · ${w(n,a)}`:`Select up to ${b} free seats.`),s("button",{"data-action":"reserve",disabled:e.length===0,onclick:()=>{this.reserve(e)}},"Reserve"),this.api.creds.token?"":s("p",{class:"muted"},"Add &token=… to the address to reserve."))}busy(e){this.panel.querySelectorAll("button").forEach(t=>t.disabled=!0),this.panel.append(s("p",{class:"muted",role:"status"},e))}async reserve(e){this.busy("Holding your seats…");try{const t=(await this.api.request(N,{input:{showId:this.showId,seats:e}})).reserve;switch(t.__typename){case"Reservation":return this.map.clearSelection(),this.holding(t,"hold");case"SeatsTaken":this.selectionChanged(),this.panel.prepend(m(`Taken meanwhile: ${t.seats.join(", ")}.${t.alternatives.length?` Free nearby: ${t.alternatives.join(", ")}.`:""}`,"seats-taken"));return;case"Queued":return this.map.clearSelection(),this.watchQueue();default:this.selectionChanged(),this.panel.prepend(m(t.message))}}catch(t){this.selectionChanged(),this.panel.prepend(m(f(t)))}}joinQueue(){const e=Math.min(b,Math.max(1,Number(this.wanted.value)||1));return this.reserve(this.map.anyLabels(e))}holding(e,t){this.mode="hold",window.clearInterval(this.timer);const n=s("strong",{"data-testid":t==="hold"?"hold-countdown":"offer-countdown","aria-live":"off"}),a=s("select",{id:"card","data-testid":"card"},...z.map(([h,i])=>s("option",{value:h},i))),c=s("div",{"aria-live":"assertive"}),r=s("button",{"data-action":"pay",onclick:()=>{this.pay(e,a.value,c,r)}},`Pay ${w(e.amount,e.currency)}`),l=Date.parse(e.expiresAt),u=()=>{const h=l-Date.now();n.textContent=Q(h),h<=0&&(window.clearInterval(this.timer),r.disabled=!0,c.replaceChildren(m("Your hold has expired; the seats went back on sale.","hold-expired")))};u(),this.timer=window.setInterval(u,250),this.panel.replaceChildren(s("h2",{},t==="hold"?"Your seats are held":"Seats came back for you"),s("p",{},`${e.seats.join(", ")} · ${w(e.amount,e.currency)}`),s("p",{},t==="hold"?"Time left to pay: ":"This offer lapses in ",n),s("label",{for:"card"},"Card"),a,r,s("button",{class:"secondary","data-action":"cancel",onclick:()=>{this.cancel(e)}},"Cancel"),c)}async pay(e,t,n,a){a.disabled=!0,n.replaceChildren(s("p",{class:"muted",role:"status"},"Paying…"));try{const c=`web-${e.id}-${crypto.randomUUID?.()??Date.now()}`,r=(await this.api.request(F,{input:{reservationId:e.id,paymentToken:t,idempotencyKey:c}})).confirm;if(r.__typename==="Booking")return this.tickets(r);const l=r.__typename==="PaymentDeclined"?`Payment declined${r.declineCode?` (${r.declineCode})`:""}: ${r.message} Your seats stay held: try another card.`:r.message;n.replaceChildren(m(l,"payment-error")),r.__typename!=="ReservationExpired"&&(a.disabled=!1)}catch(c){n.replaceChildren(m(f(c),"payment-error")),a.disabled=!1}}async cancel(e){try{await this.api.request(P,{reservationId:e.id})}catch(t){this.panel.prepend(m(f(t)));return}window.clearInterval(this.timer),this.mode="select",this.selectionChanged()}tickets(e){this.mode="done",window.clearInterval(this.timer),this.stopQueue?.(),this.panel.replaceChildren(s("h2",{},"Enjoy the show!"),s("p",{"data-testid":"booking"},`Booking ${e.id} · ${w(e.amount,e.currency)}`),s("ul",{class:"tickets"},...e.tickets.map(t=>s("li",{"data-testid":"ticket","data-seat-label":t.seat},s("span",{class:"ticket-seat"},`Seat ${t.seat}`),s("div",{class:"qr","aria-label":`QR code for seat ${t.seat}`},L(t.qrSvg))))))}watchQueue(){if(this.mode==="queue"||this.mode==="done")return;this.mode="queue";const e=s("strong",{"data-testid":"queue-position"},"…"),t=s("span",{"data-testid":"queue-eta"});this.panel.replaceChildren(s("h2",{},"You are in the queue"),s("p",{},"Position ",e," · ",t),s("button",{class:"secondary","data-action":"leave-queue",onclick:()=>{this.leaveQueue()}},"Leave the queue")),this.stopQueue?.(),this.stopQueue=this.api.subscribe(B,{showId:this.showId},{next:n=>this.onQueue(n.queue,e,t),error:n=>this.panel.append(m(`Queue updates stopped: ${f(n)}`))})}onQueue(e,t,n){if(e.offer&&e.offer.status==="HELD"){this.holding(e.offer,"offer");return}t.textContent=String(e.position),n.textContent=e.etrSeconds>0?`about ${Math.ceil(e.etrSeconds/60)} min`:"any moment"}async leaveQueue(){try{await this.api.request(T,{showId:this.showId})}catch(e){this.panel.append(m(f(e)));return}this.stopQueue?.(),this.stopQueue=null,this.mode="select",this.selectionChanged()}}window.addEventListener("hashchange",q);q();
