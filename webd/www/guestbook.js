// guestbook.js - lists the guestbook's messages and posts new ones through
// /api/messages (foobar-appd's guestbook.so). Plain JavaScript, no build.
"use strict";

const list = document.getElementById("messages");
const errorBox = document.getElementById("error");
const form = document.getElementById("post-form");
const formStatus = document.getElementById("form-status");
const more = document.getElementById("more");
const health = document.getElementById("health");
const PAGE = 20;
let oldest = null;

function showError(where, text) {
	where.textContent = text;
	where.classList.add("error");
	where.hidden = false;
}

// A readable message from a failed API answer.
async function apiError(res) {
	let detail = "";
	try {
		const body = await res.json();
		detail = body.error || (body.db === "down" ?
		    "the database is down" : "");
	} catch (e) {
		// not JSON: a proxy or server error page
	}
	if (res.status === 502 || res.status === 504)
		return "The application server is not answering (" + res.status +
		    "). Please try again in a moment.";
	if (res.status === 503)
		return "The guestbook is busy or its database is unavailable" +
		    (detail ? " (" + detail + ")" : "") + ". Please retry soon.";
	return (detail || "The request failed") + " (HTTP " + res.status + ").";
}

function render(m) {
	const li = document.createElement("li");
	li.dataset.id = m.id;
	const meta = document.createElement("div");
	meta.className = "meta";
	const when = new Date(m.created_at);
	meta.textContent = m.name + " · " + (isNaN(when) ? m.created_at :
	    when.toLocaleString());
	const p = document.createElement("p");
	p.textContent = m.text;
	li.append(meta, p);
	return li;
}

async function load(before) {
	let url = "/api/messages?limit=" + PAGE;
	if (before)
		url += "&before=" + before;
	list.setAttribute("aria-busy", "true");
	try {
		const res = await fetch(url, { headers: { Accept: "application/json" } });
		if (!res.ok) {
			showError(errorBox, await apiError(res));
			return;
		}
		const msgs = await res.json();
		errorBox.hidden = true;
		if (!before)
			list.replaceChildren();
		for (const m of msgs)
			list.append(render(m));
		if (msgs.length)
			oldest = msgs[msgs.length - 1].id;
		more.hidden = msgs.length < PAGE;
		if (!before && msgs.length === 0) {
			const li = document.createElement("li");
			li.className = "empty";
			li.textContent = "No messages yet. Be the first!";
			list.append(li);
		}
	} catch (e) {
		showError(errorBox, "Cannot reach the server: " + e.message);
	} finally {
		list.setAttribute("aria-busy", "false");
	}
}

form.addEventListener("submit", async (ev) => {
	ev.preventDefault();
	const send = document.getElementById("send");
	const payload = {
		name: form.elements.name.value,
		text: form.elements.text.value,
	};
	send.disabled = true;
	formStatus.classList.remove("error");
	formStatus.textContent = "Posting…";
	try {
		const res = await fetch("/api/messages", {
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify(payload),
		});
		if (res.status !== 201) {
			showError(formStatus, await apiError(res));
			return;
		}
		const m = await res.json();
		formStatus.textContent = "Thank you, " + m.name + "!";
		form.elements.text.value = "";
		const empty = list.querySelector(".empty");
		if (empty)
			empty.remove();
		list.prepend(render(m));
	} catch (e) {
		showError(formStatus, "Cannot reach the server: " + e.message);
	} finally {
		send.disabled = false;
	}
});

more.addEventListener("click", () => load(oldest));

async function checkHealth() {
	try {
		const res = await fetch("/api/health");
		const h = await res.json();
		health.textContent = res.ok ? "application ok · database ok · schema " +
		    h.schema : "application up · database down";
	} catch (e) {
		health.textContent = "application unreachable";
	}
}

load(null);
checkHealth();
